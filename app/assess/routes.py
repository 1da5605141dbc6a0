from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assess import bp, walk
from app.extensions import db
from app.models import IN_PROGRESS, Assessment, Station, User, is_row_id, utcnow
from app.services import assessments, deadlines, plans, rectifications, shares, signoff, stations
from app.services.idempotency import parse_mutation_id
from app.services.paging import paginate
from app.services.refusals import Refused
from app.services.rubrics import rubric_of
from app.web.access import assessor_required, viewable_assessment, viewable_station
from app.web.forms import ReopenForm
from app.web.links import offline_urls_json
from app.web.requests import VARY_ON_HTMX, is_htmx
from rubric import derive_outcome

STATION_RESULTS_LIMIT = 20
FINISHED_PER_PAGE = 10
# The session key holding a share link just made, until the page showing it once is drawn.
NEW_SHARE_LINK = "new_share_link"


@bp.get("/")
@assessor_required
def home():
    """This assessor's assessments in progress, a station search to start or join one, and their
    finished assessments (newest first, paged, searchable by station)."""
    query = request.args.get("q", "").strip()
    found = search_stations(query) if query else []
    finished_query = request.args.get("finished", "").strip()
    finished = paginate(
        assessments.finished_by(current_user, finished_query), request.args.get("page"), FINISHED_PER_PAGE
    )
    if is_htmx() and request.headers.get("HX-Target") == "finished":
        return render_template(
            "assess/_finished.html", finished=finished, finished_query=finished_query
        ), VARY_ON_HTMX
    if is_htmx():
        return render_template(
            "assess/_stations.html", stations=found, query=query, busy=busy_at(found)
        ), VARY_ON_HTMX
    own = db.session.scalars(
        db.select(Assessment)
        .filter(
            Assessment.status == IN_PROGRESS,
            Assessment.is_test.is_(False),
            Assessment.team.any(User.id == current_user.id),
        )
        .order_by(Assessment.started_at.desc())
    ).all()
    cards = [(a, assessments.scorecard(a)) for a in own]
    return render_template(
        "assess/home.html",
        cards=cards,
        stations=found,
        query=query,
        busy=busy_at(found),
        finished=finished,
        finished_query=finished_query,
        visits=plans.visits_with_status(current_user, deadlines.today()),
        visit_labels=plans.VISIT_STATUS_LABELS,
    ), VARY_ON_HTMX


def busy_at(found: list[Station]) -> dict[int, Assessment]:
    """The assessment in progress at each of these stations, to say who is on it."""
    return {a.station_id: a for a in (assessments.in_progress_at(station) for station in found) if a}


def search_stations(query: str) -> list[Station]:
    statement = stations.search(query, actor=current_user, active_only=True).limit(STATION_RESULTS_LIMIT)
    return db.session.scalars(statement).all()


@bp.post("/start")
@assessor_required
def start():
    """Start assessing a station, or continue the assessment already open for it."""
    station_id = request.form.get("station_id", type=int)
    station = viewable_station(station_id if is_row_id(station_id) else None)
    existing = assessments.in_progress_at(station)
    on_team = existing is not None and any(user.id == current_user.id for user in existing.team)
    if existing is not None and not on_team and request.form.get("join") != "1":
        return redirect(url_for("assess.join", station_id=station.id), 303)
    assessment = assessments.start_assessment(station, current_user)
    db.session.commit()
    return redirect(url_for("assess.resume", assessment_id=assessment.id))


@bp.get("/stations/<int:station_id>/join")
@assessor_required
def join(station_id: int):
    """Who is assessing this station now, and the question whether to join them."""
    station = viewable_station(station_id)
    existing = assessments.in_progress_at(station)
    if existing is None:
        return redirect(url_for("assess.home"))
    card = assessments.scorecard(existing)
    return render_template("assess/join.html", assessment=existing, card=card)


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
    return offline_urls_json(assessment, rubric_of(assessment).items)


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
            based_on=assessments.parse_based_on(request.form.get("based_on")),
        )
    except Refused as refused:
        db.session.rollback()
        draft = {"outcome": outcome, "inputs": inputs or {}, "note": note}
        asks_reason = refused.details.get("code") == "reason_required"
        context = item_context(
            assessment,
            item_id,
            error=None if asks_reason else refused.message,
            ask_reason=asks_reason,
            draft=draft,
            based_on=request.form.get("based_on", ""),
        )
        return render_item_response(context), refused.status
    if recorded.not_applied:
        draft = {"outcome": outcome, "inputs": inputs or {}, "note": note}
        context = item_context(assessment, item_id, not_applied=recorded.body["current"], draft=draft)
        return render_item_response(context), recorded.status
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
    last_visit = assessments.previous_assessment(assessment)
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
        "ask_reason": False,
        "draft": None,
        "not_applied": None,
        "based_on": finding.revision if finding else 0,
        "input_labels": assessments.INPUT_LABELS,
        "last_visit": last_visit,
        "last_result": assessments.scorecard(last_visit).items.get(item_id) if last_visit else None,
        "last_finding": last_visit.finding_for(item_id) if last_visit else None,
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


@bp.route("/<int:assessment_id>/summary", methods=["GET", "POST"])
@assessor_required
def summary(assessment_id: int):
    """Total, subtotals, deductions, 不适用 items and the 定稿 checklist; a POST brings back the
    sign-off typed so far (from the review step's "back")."""
    assessment = viewable_assessment(assessment_id)
    if request.method == "POST":
        return render_template("assess/summary.html", **summary_context(assessment, **finalize_drafts()))
    return render_template("assess/summary.html", **summary_context(assessment))


def summary_context(assessment: Assessment, **extra) -> dict:
    rubric = rubric_of(assessment)
    checklist = assessments.finalize_checklist(assessment)
    return {
        "assessment": assessment,
        "rubric": rubric,
        "card": checklist.card,
        "checklist": checklist,
        "reopen_form": ReopenForm(),
        "error": None,
        "draft": signoff.draft_of(assessment),
        "deadline_draft": deadlines.draft_of(assessment),
        "today": deadlines.today(),
        **extra,
    }


def finalize_drafts() -> dict:
    """The sign-off and deadline fields as sent, for a page that shows them again."""
    return {
        "draft": signoff.draft_from_form(request.form),
        "deadline_draft": deadlines.draft_from_form(request.form),
    }


def refused_summary(assessment: Assessment, refused: Refused):
    """The summary again with the refusal's reason, every signature and name as they were sent."""
    db.session.rollback()
    context = summary_context(assessment, error=refused.message, **finalize_drafts())
    return render_template("assess/summary.html", **context), refused.status


@bp.post("/<int:assessment_id>/review")
@assessor_required
def review(assessment_id: int):
    """The last look before 定稿: what will be locked, the total, the deductions and who signed."""
    assessment = viewable_assessment(assessment_id)
    try:
        assessments.ensure_writable(assessment)
        signatures = signoff.from_form(request.form, current_user)
        due = deadlines.from_form(request.form, rectifiable_item_ids(assessment), deadlines.kept(assessment))
        checklist = assessments.finalize_checklist(assessment)
        if checklist.refusal() is not None:
            raise checklist.refusal()
    except Refused as refused:
        return refused_summary(assessment, refused)
    return render_template(
        "assess/review.html",
        assessment=assessment,
        rubric=rubric_of(assessment),
        card=checklist.card,
        signatures=signatures,
        deadlines=due,
        photo_count=sum(len(finding.photos) for finding in assessment.findings),
        **finalize_drafts(),
    )


def rectifiable_item_ids(assessment: Assessment) -> list[str]:
    return [state.deduction.item.id for state in rectifications.deductions(assessment)]


@bp.post("/<int:assessment_id>/finalize")
@assessor_required
def finalize(assessment_id: int):
    """Lock the assessment once its checklist is clear, then show the result."""
    assessment = viewable_assessment(assessment_id)
    try:
        signatures = signoff.from_form(request.form, current_user)
        due = deadlines.from_form(request.form, rectifiable_item_ids(assessment), deadlines.kept(assessment))
        assessments.finalize(assessment, current_user)
        signoff.record(assessment, signatures, current_user)
        deadlines.record(assessment, due, current_user)
        db.session.commit()
    except Refused as refused:
        return refused_summary(assessment, refused)
    flash(_("The assessment is finalized."))
    return redirect(url_for("assess.result", assessment_id=assessment.id))


@bp.get("/<int:assessment_id>/result")
@assessor_required
def result(assessment_id: int):
    """After 定稿: the total, the report, its PDF and sharing."""
    assessment = viewable_assessment(assessment_id)
    if not assessment.is_finalized:
        return redirect(url_for("assess.summary", assessment_id=assessment.id))
    return render_template(
        "assess/result.html",
        assessment=assessment,
        card=assessments.scorecard(assessment),
        share_links=shares.links_of(assessment),
        new_share=session.pop(NEW_SHARE_LINK, None),
        now=utcnow(),
    )


@bp.post("/<int:assessment_id>/shares")
@assessor_required
def share(assessment_id: int):
    """Create a read-only link to this finalized assessment's report."""
    assessment = viewable_assessment(assessment_id)
    new = shares.create(assessment, current_user, request.form.get("days", shares.DEFAULT_DAYS))
    db.session.commit()
    # Only the hash is stored: the link is shown once, on the page this redirects to.
    session[NEW_SHARE_LINK] = {"id": new.link.id, "token": new.token}
    flash(_("The share link is ready: copy it below."))
    return redirect(url_for("assess.result", assessment_id=assessment.id, _anchor="share"))


@bp.post("/<int:assessment_id>/shares/<int:link_id>/revoke")
@assessor_required
def revoke_share(assessment_id: int, link_id: int):
    """Withdraw a share link; it answers 404 from now on."""
    assessment = viewable_assessment(assessment_id)
    shares.revoke(assessment, link_id, current_user)
    db.session.commit()
    flash(_("The share link is withdrawn."))
    return redirect(url_for("assess.result", assessment_id=assessment.id, _anchor="share"))


@bp.get("/reviews")
@assessor_required
def reviews():
    """Answers from stations that wait for this assessor's review, across finalized assessments."""
    return render_template("assess/reviews.html", waiting=rectifications.review_queue(current_user))
