from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import assessor_required, viewable_assessment
from app.assess import bp, walk
from app.errors import Refused
from app.extensions import db
from app.forms import ReopenForm
from app.idempotency import parse_mutation_id
from app.models import IN_PROGRESS, Assessment, Station, User, is_row_id
from app.rubrics import rubric_of
from app.services import assessments, signoff, stations
from app.web import VARY_ON_HTMX, is_htmx
from rubric import derive_outcome

STATION_RESULTS_LIMIT = 20


@bp.get("/")
@assessor_required
def home():
    """This assessor's assessments in progress, and a station search to start or join one."""
    query = request.args.get("q", "").strip()
    found = search_stations(query) if query else []
    if is_htmx():
        return render_template("assess/_stations.html", stations=found, query=query), VARY_ON_HTMX
    own = db.session.scalars(
        db.select(Assessment)
        .filter(Assessment.status == IN_PROGRESS, Assessment.team.any(User.id == current_user.id))
        .order_by(Assessment.started_at.desc())
    ).all()
    cards = [(a, assessments.scorecard(a)) for a in own]
    return render_template("assess/home.html", cards=cards, stations=found, query=query), VARY_ON_HTMX


def search_stations(query: str) -> list[Station]:
    statement = stations.search(query, active_only=True).limit(STATION_RESULTS_LIMIT)
    return db.session.scalars(statement).all()


@bp.post("/start")
@assessor_required
def start():
    """Start assessing a station, or continue the assessment already open for it."""
    station_id = request.form.get("station_id", type=int)
    station = db.session.get(Station, station_id) if is_row_id(station_id) else None
    if station is None:
        abort(404)
    assessment = assessments.start_assessment(station, current_user)
    db.session.commit()
    return redirect(url_for("assess.resume", assessment_id=assessment.id))


@bp.get("/<int:assessment_id>/")
@assessor_required
def resume(assessment_id: int):
    """Open an assessment where this assessor left off."""
    assessment = viewable_assessment(assessment_id)
    rubric = rubric_of(assessment)
    card = assessments.scorecard(assessment)
    item = walk.resume_item(rubric, assessment, card, current_user)
    if item is None or assessment.is_finalized:
        return redirect(url_for("assess.summary", assessment_id=assessment.id))
    return redirect(url_for("assess.item", assessment_id=assessment.id, item_id=item.id))


@bp.get("/<int:assessment_id>/items/<item_id>")
@assessor_required
def item(assessment_id: int, item_id: str):
    """One item of the form on one screen; htmx gets just the item, e.g. to refresh it after a sync."""
    assessment = viewable_assessment(assessment_id)
    context = item_context(assessment, item_id)
    if is_htmx():
        return render_template("assess/_item.html", oob=True, **context), VARY_ON_HTMX
    return render_template("assess/item.html", **context), VARY_ON_HTMX


@bp.get("/<int:assessment_id>/offline.json")
@assessor_required
def offline_urls(assessment_id: int):
    """Every page of this assessment's walk, for the service worker to keep on the phone."""
    assessment = viewable_assessment(assessment_id)
    items = rubric_of(assessment).items
    urls = [url_for("assess.item", assessment_id=assessment.id, item_id=i.id) for i in items]
    urls += [
        url_for("assess.index", assessment_id=assessment.id),
        url_for("assess.summary", assessment_id=assessment.id),
    ]
    return {"urls": urls}


@bp.post("/<int:assessment_id>/items/<item_id>")
@assessor_required
def save_item(assessment_id: int, item_id: str):
    """Save one item's outcome, counts and note; htmx gets the fragment back, a plain form a redirect."""
    assessment = viewable_assessment(assessment_id, *assessments.SCORING_LOAD)
    rubric_item = rubric_of(assessment).item(item_id) or abort(404)
    outcome, inputs, note = walk.parse_item_form(
        request.form, rubric_item, request.headers.get("HX-Trigger-Name")
    )
    try:
        recorded = assessments.record_finding_once(
            assessment,
            item_id,
            mutation_id=parse_mutation_id(request.form.get("mutation_id") or None),
            user=current_user,
            outcome=outcome,
            inputs=inputs,
            note=note,
        )
    except Refused as refused:
        db.session.rollback()
        draft = {"outcome": outcome, "inputs": inputs or {}, "note": note}
        context = item_context(assessment, item_id, error=refused.message, draft=draft)
        return render_item_response(context), refused.status
    if not is_htmx():
        return redirect(url_for("assess.item", assessment_id=assessment.id, item_id=item_id))
    return render_item_response(
        item_context(assessment, item_id, finding=recorded.finding, card=recorded.card)
    )


def render_item_response(context: dict) -> str:
    if not is_htmx():
        return render_template("assess/item.html", **context)
    if request.headers.get("HX-Target") == "item-status":
        return render_template("assess/_status.html", oob=True, **context)
    return render_template("assess/_item.html", oob=True, **context)


def item_context(assessment: Assessment, item_id: str, *, finding=None, card=None, **extra) -> dict:
    """What the item page and fragment show; a caller that has just scored hands its finding and card."""
    rubric = rubric_of(assessment)
    rubric_item = rubric.item(item_id) or abort(404)
    card = card or assessments.scorecard(assessment)
    finding = finding or assessments.finding_of(assessment, item_id)
    previous, following = walk.neighbours(rubric, rubric_item)
    return {
        "assessment": assessment,
        "rubric": rubric,
        "item": rubric_item,
        "card": card,
        "finding": finding,
        "state": walk.item_state(card, rubric_item),
        "derived": derived_reason(rubric_item, finding),
        "previous": previous,
        "following": following,
        "next_unscored": walk.next_unscored(rubric, card, after=rubric_item),
        "error": None,
        "draft": None,
        "input_labels": assessments.INPUT_LABELS,
        **extra,
    }


def derived_reason(rubric_item, finding) -> dict | None:
    """Why the counts gave the outcome they did, for the assessor to see."""
    if finding is None or not finding.inputs or not rubric_item.inputs:
        return None
    _key, reason = derive_outcome(rubric_item, finding.inputs)
    return reason


@bp.get("/<int:assessment_id>/index")
@assessor_required
def index(assessment_id: int):
    """All items by category with their state and each category's subtotal."""
    assessment = viewable_assessment(assessment_id)
    rubric = rubric_of(assessment)
    card = assessments.scorecard(assessment)
    states = {item.id: walk.item_state(card, item) for item in rubric.items}
    return render_template(
        "assess/index.html",
        assessment=assessment,
        rubric=rubric,
        card=card,
        states=states,
        next_unscored=walk.next_unscored(rubric, card),
    )


@bp.get("/<int:assessment_id>/summary")
@assessor_required
def summary(assessment_id: int):
    """Total, subtotals, deductions and what is still missing before finalizing."""
    assessment = viewable_assessment(assessment_id)
    return render_template("assess/summary.html", **summary_context(assessment))


def summary_context(assessment: Assessment, **extra) -> dict:
    rubric = rubric_of(assessment)
    return {
        "assessment": assessment,
        "rubric": rubric,
        "card": assessments.scorecard(assessment),
        "reopen_form": ReopenForm(),
        "error": None,
        **extra,
    }


@bp.post("/<int:assessment_id>/finalize")
@assessor_required
def finalize(assessment_id: int):
    """Lock the assessment once everything is scored and explained."""
    assessment = viewable_assessment(assessment_id)
    try:
        signatures = signoff.from_form(request.form, current_user)
        assessments.finalize(assessment, current_user)
        signoff.record(assessment, signatures, current_user)
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return render_template(
            "assess/summary.html", **summary_context(assessment, error=refused.message)
        ), refused.status
    flash(_("The assessment is finalized."))
    return redirect(url_for("assess.summary", assessment_id=assessment.id))
