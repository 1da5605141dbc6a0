"""The photo part of the JSON API: the outbox uploads evidence, changes captions and removes photos."""

from flask import abort, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.api import bp
from app.extensions import db
from app.services import photos as actions
from app.services.authorship import ensure_author
from app.services.idempotency import parse_mutation_id
from app.services.refusals import Refused
from app.web.access import assessable, viewable_photo
from app.web.links import photo_with_links
from app.web.requests import form_mutation_id, json_body, optional_int


@bp.post("/assessments/<int:assessment_id>/findings/<item_id>/photos")
@login_required
def upload_photo(assessment_id: int, item_id: str):
    """Attach one photo (multipart field `photo`) to an item: 201 with its id and URLs."""
    assessment = assessable(assessment_id)
    ensure_author(request.form.get("author"), current_user)
    photo = request.files.get("photo")
    if photo is None:
        raise Refused(422, _l("Send the photo in the multipart field “photo”."), field="photo")
    upload = actions.Upload(
        actions.read_upload(photo.stream),
        caption=request.form.get("caption", ""),
        taken_at=request.form.get("taken_at") or None,
        marked_up_from=optional_int("marked_up_from"),
    )
    body, status = actions.upload_once(
        assessment, item_id, upload, user=current_user, mutation_id=form_mutation_id()
    )
    return jsonify(photo_with_links(body)), status


@bp.patch("/photos/<int:photo_id>")
@login_required
def update_photo(photo_id: int):
    """Change a photo's caption."""
    photo = viewable_photo(photo_id)
    if not current_user.can_assess:
        abort(403)
    body = json_body()
    if not isinstance(body.get("caption"), str):
        raise Refused(422, _l("Send a JSON object with a caption."), field="caption")
    ensure_author(body.get("author"), current_user)
    answer, status = actions.set_caption_once(
        photo, body["caption"], user=current_user, mutation_id=parse_mutation_id(body.get("mutation_id"))
    )
    return jsonify(photo_with_links(answer)), status


@bp.delete("/photos/<int:photo_id>")
@login_required
def delete_photo(photo_id: int):
    """Remove a photo while its assessment is in progress; the audit trail keeps it."""
    photo = viewable_photo(photo_id)
    if not current_user.can_assess:
        abort(403)
    actions.delete_photo(photo, current_user)
    db.session.commit()
    return "", 204
