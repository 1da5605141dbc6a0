"""The station's own view of its finalized assessments, and its rectification of each deduction."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.access import assessor_required, staff_required, viewable_assessment
from app.errors import Refused
from app.extensions import db
from app.models import FINALIZED, Assessment, Rectification
from app.rubrics import rubric_of
from app.services import assessments, deadlines, notices, rectifications
from app.services import photos as photo_actions
from app.station import bp
from app.web import safe_next


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


def render_assessment(assessment: Assessment, errors: dict | None = None, status: int = 200):
    return render_template(
        "station/assessment.html",
        assessment=assessment,
        rubric=rubric_of(assessment),
        card=assessments.scorecard(assessment),
        deductions=rectifications.deductions(assessment) if assessment.is_finalized else [],
        errors=errors or {},
        form=request.form if errors else {},
    ), status


@bp.post("/assessments/<int:assessment_id>/items/<item_id>/rectification")
@login_required
def answer(assessment_id: int, item_id: str):
    """The station says what it corrected for one deduction, with photos (a plain multipart form)."""
    assessment = viewable_assessment(assessment_id)
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
@assessor_required
def reviews():
    """Answers from stations that wait for an assessor's review, across finalized assessments."""
    answered = db.session.scalars(
        db.select(Assessment)
        .where(Assessment.id.in_(db.select(Rectification.assessment_id).filter_by(review=None)))
        .filter_by(status=FINALIZED)
        .order_by(Assessment.finalized_at.desc())
    ).all()
    waiting = [(a, rectifications.waiting_for_review(a)) for a in answered]
    return render_template("station/reviews.html", waiting=[(a, w) for a, w in waiting if w])
