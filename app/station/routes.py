"""The station's own view of its finalized assessments, and its rectification of each deduction."""

import io

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import parse_form_data
from wtforms import ValidationError

from app.extensions import db
from app.models import FINALIZED, Assessment, Rectification
from app.services import assessments, deadlines, notices, rectifications, regions
from app.services import photos as photo_actions
from app.services.authorship import ensure_author
from app.services.idempotency import parse_mutation_id
from app.services.refusals import Refused
from app.services.rubrics import rubric_of
from app.station import bp
from app.web.access import assessor_required, staff_required, viewable_assessment
from app.web.errors import CSRF_MESSAGE, MESSAGES, error_response
from app.web.links import json_answer
from app.web.requests import json_body, safe_next


@bp.get("/")
@staff_required
def home():
    """What the staff member's station must still answer, by deadline, and its finalized assessments."""
    finalized = db.session.scalars(
        db.select(Assessment)
        .filter_by(station_id=current_user.station_id, status=FINALIZED)
        .order_by(Assessment.finalized_at.desc())
    ).all()
    cards = [(a, assessments.scorecard(a), rectifications.deductions(a)) for a in finalized]
    due = deadlines.due_for_station(current_user.station_id, deadlines.today())
    return render_template("station/home.html", station=current_user.station, cards=cards, due=due)


@bp.get("/assessments/<int:assessment_id>")
@login_required
def assessment(assessment_id: int):
    """What was found: total, subtotals, each deduction with photos and rectification, all items."""
    return render_assessment(viewable_assessment(assessment_id))


def render_assessment(assessment: Assessment, errors: dict | None = None, status: int = 200, form=None):
    """The page; with `errors` (by item) it says what went wrong beside the item and keeps what was typed."""
    return render_template(
        "station/assessment.html",
        assessment=assessment,
        rubric=rubric_of(assessment),
        card=assessments.scorecard(assessment),
        deductions=rectifications.deductions(assessment) if assessment.is_finalized else [],
        errors=errors or {},
        form=form if form is not None else (request.form if errors else {}),
        max_photos=rectifications.MAX_PHOTOS,
    ), status


@bp.post("/assessments/<int:assessment_id>/items/<item_id>/rectification")
@login_required
def answer(assessment_id: int, item_id: str):
    """The station says what it corrected for one deduction: JSON from the phone's outbox, naming
    the photos it sent ahead, or the plain multipart form with its photos."""
    assessment = viewable_assessment(assessment_id)
    if request.is_json:
        return answer_json(assessment, item_id)
    try:
        uploads = [f for f in request.files.getlist("photo") if f and f.filename]
        photos = [photo_actions.read_upload(upload.stream) for upload in uploads]
        rectification = rectifications.answer(
            assessment, item_id, request.form.get("text", ""), photos, current_user
        )
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        if refused.status in (403, 404):
            raise
        return render_assessment(assessment, {item_id: refused.message}, refused.status)
    notices.answered(rectification)
    flash(_("Your answer was sent for review."))
    return redirect(
        url_for("station.assessment", assessment_id=assessment.id, _anchor=f"item-{item_id}"), 303
    )


def answer_json(assessment: Assessment, item_id: str):
    """201 with the answer; the same mutation_id again gets the same reply and changes nothing."""
    body = json_body()
    ensure_author(body.get("author"), current_user)
    text, photos = body.get("text"), body.get("photos", [])
    if not isinstance(text, str):
        raise Refused(422, _l("Say what was corrected."), field="text")
    (reply, status), answered = rectifications.answer_once(
        assessment, item_id, text, photos, current_user, parse_mutation_id(body.get("mutation_id"))
    )
    if answered:
        notices.answered(answered)
    return json_answer(reply, status)


@bp.post("/assessments/<int:assessment_id>/items/<item_id>/rectification/photos")
@login_required
def photo_ahead(assessment_id: int, item_id: str):
    """One photo of an answer still to come (multipart `photo`, `mutation_id`, optional `taken_at`),
    sent by the phone's outbox ahead of the answer that names it: 201 with what was stored."""
    assessment = viewable_assessment(assessment_id)
    ensure_author(request.form.get("author"), current_user)
    mutation_id = request.form.get("mutation_id")
    if not mutation_id:
        raise Refused(422, _l("Send the photo with its mutation_id."), field="mutation_id")
    rectifications.answerable(assessment, item_id, current_user)
    upload = request.files.get("photo")
    if upload is None:
        raise Refused(422, _l("Send the photo in the multipart field “photo”."), field="photo")
    taken_at = request.form.get("taken_at") or None
    photo_actions.parse_client_time(taken_at)  # a bad time is refused before the photo is written
    stored = photo_actions.store(photo_actions.read_upload(upload.stream))
    body, status = rectifications.photo_ahead_once(
        assessment, item_id, stored, taken_at, current_user, parse_mutation_id(mutation_id)
    )
    return json_answer(body, status)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A plain answer whose photos are over the request limit: the page says so beside the item and
    keeps the typed text. Anything else, or anyone who may not see the page, gets the usual answer."""
    args = request.view_args or {}
    assessment = db.session.get(Assessment, args["assessment_id"]) if "assessment_id" in args else None
    page_of_its_own = (
        request.endpoint == "station.answer"
        and not request.is_json
        and current_user.is_authenticated
        and assessment is not None
        and regions.can_see_assessment(current_user, assessment)
    )
    if not page_of_its_own:
        return error_response(413, MESSAGES[413])
    fields = form_without_files()
    try:
        validate_csrf(fields.get("csrf_token"))
    except ValidationError:
        return error_response(400, CSRF_MESSAGE, code="csrf")
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    message = _("The photos together are larger than %(n)d MB: choose fewer or smaller photos.", n=limit)
    return render_assessment(assessment, {args["item_id"]: message}, 413, form=fields)


class _Discarded(io.BytesIO):
    """Where the bytes of a file go when only the form's text is wanted."""

    def write(self, data) -> int:
        return len(data)


def form_without_files():
    """The text fields of a multipart body too large to take, read while its files are thrown away."""
    _stream, fields, _files = parse_form_data(
        request.environ,
        stream_factory=lambda *args, **kwargs: _Discarded(),
        max_form_memory_size=current_app.config.get("MAX_FORM_MEMORY_SIZE") or 500_000,
        silent=False,
    )
    return fields


@bp.post("/rectifications/<int:rectification_id>/review")
@assessor_required
def review(rectification_id: int):
    """An assessor or admin accepts a station's answer, or not, with a comment."""
    rectification = db.session.get(Rectification, rectification_id) or abort(404)
    assessment = viewable_assessment(rectification.assessment_id)
    back = safe_next(url_for("station.assessment", assessment_id=assessment.id))
    try:
        rectifications.review(
            rectification, request.form.get("decision", ""), request.form.get("comment", ""), current_user
        )
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        flash(f"{rectification.item_id}: {refused.message}")
        return redirect(back, 303)
    notices.reviewed(rectification)
    flash(_("Review saved."))
    return redirect(back, 303)


@bp.get("/reviews")
def old_reviews_address():
    """The review list lived here once: bookmarks of it still arrive."""
    return redirect(url_for("assess.reviews"), 301)
