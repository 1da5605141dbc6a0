"""Evidence photos: the upload API, the no-JS form posts, the full view and the files themselves."""

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.access import ensure_author, viewable_assessment
from app.errors import Refused, wrong_type
from app.extensions import db
from app.idempotency import parse_mutation_id
from app.models import Assessment, Photo, is_row_id
from app.photo_files import send_photo_file
from app.photos import bp
from app.rubrics import rubric_of
from app.services import photos as actions
from app.web.requests import json_body, safe_next


def viewable_photo(photo_id: int) -> Photo:
    """A photo is seen by whoever may see its assessment; anyone else gets 404."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    viewable_assessment(photo.finding.assessment_id)
    return photo


def assessable(assessment_id: int) -> Assessment:
    """An assessment this user may add evidence to: unseen ones answer 404, staff get 403."""
    assessment = viewable_assessment(assessment_id)
    if not current_user.can_assess:
        abort(403)
    return assessment


def item_url(assessment: Assessment, item_id: str) -> str:
    if current_user.can_assess and "assess.item" in current_app.view_functions:
        return url_for("assess.item", assessment_id=assessment.id, item_id=item_id)
    return url_for("auth.index")


def optional_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not is_row_id(int(raw[:12])):
        raise wrong_type(name)
    return int(raw)


def form_mutation_id() -> str | None:
    return parse_mutation_id(request.form.get("mutation_id") or None)


@bp.post("/api/assessments/<int:assessment_id>/findings/<item_id>/photos")
@login_required
def upload(assessment_id: int, item_id: str):
    """Attach one photo (multipart field `photo`) to an item: 201 with its id and URLs."""
    assessment = assessable(assessment_id)
    ensure_author(request.form.get("author"))
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
    return jsonify(body), status


@bp.patch("/api/photos/<int:photo_id>")
@login_required
def update(photo_id: int):
    """Change a photo's caption."""
    photo = viewable_photo(photo_id)
    if not current_user.can_assess:
        abort(403)
    body = json_body()
    if not isinstance(body.get("caption"), str):
        raise Refused(422, _l("Send a JSON object with a caption."), field="caption")
    ensure_author(body.get("author"))
    answer, status = actions.set_caption_once(
        photo, body["caption"], user=current_user, mutation_id=parse_mutation_id(body.get("mutation_id"))
    )
    return jsonify(answer), status


@bp.delete("/api/photos/<int:photo_id>")
@login_required
def delete(photo_id: int):
    """Remove a photo while its assessment is in progress; the audit trail keeps it."""
    photo = viewable_photo(photo_id)
    if not current_user.can_assess:
        abort(403)
    actions.delete_photo(photo, current_user)
    db.session.commit()
    return "", 204


@bp.get("/photos/<int:photo_id>/image")
@login_required
def image(photo_id: int):
    """The photo itself, cleaned and at most PHOTO_MAX_EDGE pixels on its long edge."""
    photo = viewable_photo(photo_id)
    return send_photo_file(photo, photo.sha256)


@bp.get("/photos/<int:photo_id>/thumb")
@login_required
def thumb(photo_id: int):
    """The photo's thumbnail."""
    photo = viewable_photo(photo_id)
    return send_photo_file(photo, photo.thumb_sha256 or photo.sha256)


@bp.get("/photos/<int:photo_id>")
@login_required
def view(photo_id: int):
    """One photo at full size, with its original or marked-up copies and the way to its neighbours."""
    photo = viewable_photo(photo_id)
    finding = photo.finding
    assessment = finding.assessment
    # A rectification photo is paged through with the other photos of its answer.
    photos = list(photo.rectification.photos if photo.rectification else finding.photos)
    index = photos.index(photo)
    back = safe_next(item_url(assessment, finding.item_id))
    return render_template(
        "photos/view.html",
        photo=photo,
        assessment=assessment,
        item=rubric_of(assessment).item(finding.item_id),
        photos=photos,
        index=index,
        previous=photos[index - 1] if index > 0 else None,
        following=photos[index + 1] if index + 1 < len(photos) else None,
        back=back,
        can_edit=current_user.can_assess and not assessment.is_finalized,
    )


@bp.post("/photos/assessments/<int:assessment_id>/items/<item_id>")
@login_required
def upload_form(assessment_id: int, item_id: str):
    """The plain form post: attach the chosen photos, then back to the item."""
    assessment = assessable(assessment_id)
    back = safe_next(item_url(assessment, item_id))
    files = [f for f in request.files.getlist("photo") if f and f.filename]
    if not files:
        flash(_("Choose a photo first."))
        return redirect(back)
    saved = 0
    for upload in files:
        try:
            data = actions.read_upload(upload.stream)
            actions.attach_photo(
                assessment, item_id, data, user=current_user, caption=request.form.get("caption", "")
            )
            db.session.commit()
            saved += 1
        except Refused as refused:
            db.session.rollback()
            flash(f"{upload.filename}: {refused.message}")
    if saved:
        flash(_("%(n)d photos saved.", n=saved))
    return redirect(back)


@bp.post("/photos/<int:photo_id>/delete")
@login_required
def delete_form(photo_id: int):
    """The plain form post that removes a photo."""
    photo = viewable_photo(photo_id)
    if not current_user.can_assess:
        abort(403)
    assessment = photo.finding.assessment
    item_id = photo.finding.item_id
    actions.delete_photo(photo, current_user)
    db.session.commit()
    flash(_("The photo was removed."))
    return redirect(safe_next(item_url(assessment, item_id)))


@bp.post("/photos/assessments/<int:assessment_id>/items/<item_id>/no-photo-reason")
@login_required
def no_photo_reason(assessment_id: int, item_id: str):
    """Record why a deduction has no photo (JSON for scripts, a redirect for the plain form)."""
    assessment = assessable(assessment_id)
    ensure_author(request.form.get("author"))
    answer, status = actions.set_no_photo_reason_once(
        assessment,
        item_id,
        request.form.get("no_photo_reason", ""),
        user=current_user,
        mutation_id=form_mutation_id(),
    )
    if request.accept_mimetypes.best == "application/json":
        return jsonify(answer), status
    flash(_("Saved."))
    return redirect(safe_next(item_url(assessment, item_id)))


@bp.get("/photos/assessments/<int:assessment_id>/items/<item_id>")
@login_required
def panel(assessment_id: int, item_id: str):
    """The item's photo panel alone, for the item page to refresh after its outcome changes."""
    assessment = viewable_assessment(assessment_id)
    item = rubric_of(assessment).item(item_id) or abort(404)
    return render_template(
        "photos/_photos.html",
        assessment=assessment,
        item=item,
        finding=assessment.finding_for(item_id),
        photos_back=safe_next(item_url(assessment, item_id)),
    )
