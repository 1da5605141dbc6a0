"""Inspection plans (检查计划): scope, draws (双随机), conflicts (回避), visits, results (一公开).

Administrators manage the plans of their region's subtree (app/services/regions.py says who sees
what); inspectors see the visits they were drawn for; station staff see nothing of plans. The draw
itself is the pure app/services/plans_draw.py; this module feeds it from the database and keeps
what it gives. The caller commits; refusals raise `Refused`.
"""

import math
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    CONFLICT_KINDS,
    FINALIZED,
    IN_PROGRESS,
    Assessment,
    InspectionPlan,
    InspectorConflict,
    PlanDraw,
    PlanVisit,
    Region,
    Station,
    StationComplaintFlag,
    User,
    plan_visit_team,
    utcnow,
)
from app.services import audit, locks, mail, regions, rubrics
from app.services.notices import MAIL_LOCALE, link
from app.services.plans_draw import DrawError, canonical_json, draw, draw_inputs, result_of, seed_of
from app.services.rectifications import deductions
from app.services.refusals import Refused, checked_text

NAME_MAX_LENGTH = 200
PUBLIC_VALUE_MAX_LENGTH = 200
REASON_MAX_LENGTH = 2000
MAX_TEAM_SIZE = 10
MAX_CONFLICT_YEARS = 20
# Plans, visits and ties are dated within these years, so that counting back a plan's years stays a date.
FIRST_YEAR, LAST_YEAR = 1950, 2199
STAFF_OF_STATION = "staff_of_station"
DRAWN, OVERDUE = "drawn", "overdue"
VISIT_STATUS_LABELS = {
    DRAWN: _l("Drawn"),
    IN_PROGRESS: _l("In progress"),
    FINALIZED: _l("Finalized"),
    OVERDUE: _l("Overdue"),
}
CONFLICT_LABELS = {
    "worked": _l("Worked for the station"),
    "trained": _l("Trained at the station"),
    "relative": _l("A relative works at the station"),
    "other": _l("Another tie"),
    STAFF_OF_STATION: _l("Belongs to the station"),
}
DRAW_MESSAGES = {
    "team_too_small": _l("A team has at least 2 inspectors."),
    "station_count": _l("The plan draws %(count)s stations but %(stations)s are in scope."),
    "too_few_inspectors": _l(
        "Station %(station)s has %(eligible)s inspectors without a conflict; a team needs %(team_size)s."
    ),
}


# --- who sees what ----------------------------------------------------------------------------


def plan_clause(actor: User | None):
    """The plans an administrator manages: those of their region's subtree."""
    if regions.is_root_admin(actor):
        return db.true()
    if not actor.is_admin:
        return db.false()
    return InspectionPlan.region_id.in_(db.select(Region.id).where(regions.region_clause(actor)))


def visible_plans(actor: User) -> list[InspectionPlan]:
    return db.session.scalars(
        db.select(InspectionPlan).where(plan_clause(actor)).order_by(InspectionPlan.id.desc())
    ).all()


def manageable_plan(plan_id: int, actor: User) -> InspectionPlan:
    plan = db.session.get(InspectionPlan, plan_id)
    if plan is None or not db.session.scalar(
        db.select(InspectionPlan.id).where(InspectionPlan.id == plan.id, plan_clause(actor))
    ):
        raise Refused(404, _l("There is no such plan."))
    return plan


def pool_candidates(region: Region) -> list[User]:
    """The active assessors of the region's subtree: who a plan of that region may draw."""
    return db.session.scalars(
        db.select(User)
        .where(User.role == "assessor", User.active, User.region_id.in_(regions.subtree_ids(region.id)))
        .order_by(User.username)
    ).all()


# --- making a plan ----------------------------------------------------------------------------


@dataclass
class PlanInput:
    """A plan's fields as a form sends them: text, not yet checked."""

    name: str = ""
    region_code: str = ""
    period_start: str = ""
    period_end: str = ""
    form_version: str = ""
    last_inspected_before: str = ""
    complaints_only: bool = False
    draw_count: str = ""
    draw_percent: str = ""
    team_size: str = "2"
    conflict_years: str = "3"
    inspectors: tuple[str, ...] = ()
    visit_start: str = ""
    visit_end: str = ""


def form_version_key(rubric) -> str:
    """How a form version is named in a form's choices: id@version."""
    return f"{rubric.id}@{rubric.version}"


def _day(raw: str, field: str, *, required: bool = True) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise Refused(422, _l("Enter a date."), field=field)
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise Refused(422, _l("Enter a date as YYYY-MM-DD."), field=field) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Refused(
            422,
            _l("Enter a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR),
            field=field,
        )
    return day


def _number(raw: str) -> int | None:
    """A whole number written in digits (at most 6 of them), else None."""
    return int(raw) if raw.isdecimal() and len(raw) <= 6 else None


def _whole(raw: str, field: str, low: int, high: int, *, required: bool = True) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise Refused(422, _l("Enter a whole number."), field=field)
        return None
    number = _number(raw)
    if number is None or not low <= number <= high:
        raise Refused(
            422, _l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high), field=field
        )
    return number


def _team_size(raw: str) -> int:
    raw = (raw or "").strip()
    number = _number(raw)
    if number is None or number < 2:
        raise Refused(
            422, _l("A team has at least 2 inspectors: one leads it, another checks."), field="team_size"
        )
    return _whole(raw, "team_size", 2, MAX_TEAM_SIZE)


def _form_version(raw: str):
    rubric_id, _sep, version = (raw or "").partition("@")
    rubric = rubrics.choosable(rubric_id, version)
    if rubric is None:
        raise Refused(422, _l("Choose one of the form versions."), field="form_version")
    return rubric


def _pool(raw_ids, region: Region) -> list[User]:
    candidates = {str(user.id): user for user in pool_candidates(region)}
    chosen = [candidates[raw] for raw in dict.fromkeys(raw_ids) if raw in candidates]
    if len(chosen) != len(set(raw_ids)):
        raise Refused(422, _l("Choose inspectors among the assessors of the region."), field="inspectors")
    return chosen


def create_plan(values: PlanInput, actor: User) -> InspectionPlan:
    """A plan of a region the administrator sees, checked field by field."""
    name = checked_text(
        values.name, NAME_MAX_LENGTH, _l("At most %(max)d characters.", max=NAME_MAX_LENGTH), "name"
    )
    if not name:
        raise Refused(422, _l("Enter the plan's name."), field="name")
    region = regions.region_for(actor, values.region_code.strip(), field="region_code")
    period_start, period_end = (
        _day(values.period_start, "period_start"),
        _day(values.period_end, "period_end"),
    )
    if period_end < period_start:
        raise Refused(422, _l("The end of the period comes before its start."), field="period_end")
    rubric = _form_version(values.form_version)
    draw_count = _whole(values.draw_count, "draw_count", 1, 999999, required=False)
    draw_percent = _whole(values.draw_percent, "draw_percent", 1, 100, required=False)
    if (draw_count is None) == (draw_percent is None):
        raise Refused(422, _l("Enter either how many stations to draw or what share."), field="draw_count")
    team_size = _team_size(values.team_size)
    conflict_years = _whole(values.conflict_years, "conflict_years", 0, MAX_CONFLICT_YEARS)
    inspectors = _pool(values.inspectors, region)
    if len(inspectors) < team_size:
        raise Refused(
            422, _l("Choose at least %(n)s inspectors: one team's worth.", n=team_size), field="inspectors"
        )
    visit_start, visit_end = _day(values.visit_start, "visit_start"), _day(values.visit_end, "visit_end")
    if visit_end < visit_start:
        raise Refused(422, _l("The last day of the visits comes before the first."), field="visit_end")
    plan = InspectionPlan(
        region=region,
        name=name,
        period_start=period_start,
        period_end=period_end,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        last_inspected_before=_day(values.last_inspected_before, "last_inspected_before", required=False),
        complaints_only=bool(values.complaints_only),
        draw_count=draw_count,
        draw_percent=draw_percent,
        team_size=team_size,
        conflict_years=conflict_years,
        visit_start=visit_start,
        visit_end=visit_end,
        created_by=actor,
        inspectors=inspectors,
    )
    db.session.add(plan)
    db.session.flush()
    audit.record("plan.create", subject=str(plan.id), after=plan_facts(plan), user=actor)
    return plan


def plan_facts(plan: InspectionPlan) -> dict:
    """What a plan says, as the audit trail and the public page read it."""
    return {
        "name": plan.name,
        "region": plan.region.code,
        "period": [plan.period_start.isoformat(), plan.period_end.isoformat()],
        "form_version": [plan.rubric_id, plan.rubric_version],
        "last_inspected_before": plan.last_inspected_before.isoformat()
        if plan.last_inspected_before
        else None,
        "complaints_only": plan.complaints_only,
        "draw_count": plan.draw_count,
        "draw_percent": plan.draw_percent,
        "team_size": plan.team_size,
        "conflict_years": plan.conflict_years,
        "visit_window": [plan.visit_start.isoformat(), plan.visit_end.isoformat()],
    }


# --- scope and conflicts ----------------------------------------------------------------------


def scope(plan: InspectionPlan) -> list[Station]:
    """The active stations the plan may draw from, by id."""
    statement = db.select(Station).where(
        Station.active, Station.region_id.in_(regions.subtree_ids(plan.region_id))
    )
    if plan.complaints_only:
        statement = statement.where(Station.id.in_(db.select(StationComplaintFlag.station_id)))
    if plan.last_inspected_before is not None:
        recent = db.select(Assessment.station_id).where(
            Assessment.status == FINALIZED, Assessment.finalized_at >= plan.last_inspected_before
        )
        statement = statement.where(Station.id.not_in(recent))
    return db.session.scalars(statement.order_by(Station.id)).all()


def conflict_cutoff(plan: InspectionPlan) -> date:
    """A tie that ended before this day no longer keeps an inspector away."""
    start = plan.period_start
    year = start.year - plan.conflict_years
    return (
        start.replace(year=year, day=28) if (start.month, start.day) == (2, 29) else start.replace(year=year)
    )


def conflicts(
    plan: InspectionPlan, stations: list[Station], inspectors: list[User]
) -> list[tuple[int, int, str]]:
    """Every (station, inspector, reason) pair the draw must avoid: the inspector's own station,
    and each declared tie that lasts or ended within the plan's years."""
    station_ids = {station.id for station in stations}
    found = {
        (inspector.station_id, inspector.id, STAFF_OF_STATION)
        for inspector in inspectors
        if inspector.station_id in station_ids
    }
    declared = db.session.scalars(
        db.select(InspectorConflict).where(
            InspectorConflict.user_id.in_([inspector.id for inspector in inspectors]),
            InspectorConflict.station_id.in_(station_ids),
            db.or_(InspectorConflict.ended_on.is_(None), InspectorConflict.ended_on >= conflict_cutoff(plan)),
        )
    )
    found.update((c.station_id, c.user_id, c.kind) for c in declared)
    return sorted(found)


def station_count(plan: InspectionPlan, in_scope: int) -> int:
    if plan.draw_count is not None:
        return plan.draw_count
    return max(1, math.ceil(in_scope * plan.draw_percent / 100))


# --- the draw ---------------------------------------------------------------------------------


def perform_draw(plan: InspectionPlan, public_value: str, reason: str, actor: User | None) -> PlanDraw:
    """Draw stations, then teams, from a seed of the plan's inputs and the public value; keep it.

    A redraw needs a reason and is kept beside the draws before it; none is replaced."""
    locks.lock(plan)
    public_value = checked_text(
        public_value,
        PUBLIC_VALUE_MAX_LENGTH,
        _l("At most %(max)d characters.", max=PUBLIC_VALUE_MAX_LENGTH),
        "public_value",
    )
    if not public_value:
        raise Refused(422, _l("Enter the public value the draw is made from."), field="public_value")
    reason = checked_text(
        reason, REASON_MAX_LENGTH, _l("At most %(max)d characters.", max=REASON_MAX_LENGTH), "reason"
    )
    previous = plan.current_draw
    if previous is not None:
        if not reason:
            raise Refused(422, _l("A redraw needs a reason, kept beside the first draw."), field="reason")
        if any(visit.assessment_id for visit in previous.visits):
            raise Refused(409, _l("A visit of this draw has started: it can no longer be drawn again."))
    stations = scope(plan)
    if not stations:
        raise Refused(422, _l("No station is in the plan's scope."), field="public_value")
    inputs = draw_inputs(
        plan=plan.id,
        public_value=public_value,
        stations=[station.id for station in stations],
        inspectors=[user.id for user in plan.inspectors],
        station_count=station_count(plan, len(stations)),
        team_size=plan.team_size,
        conflicts=conflicts(plan, stations, plan.inspectors),
    )
    try:
        visits = draw(inputs)
    except DrawError as error:
        raise Refused(422, str(DRAW_MESSAGES[error.code]) % error.params, field="public_value") from None
    record = PlanDraw(
        plan=plan,
        number=(previous.number + 1) if previous else 1,
        inputs=inputs,
        seed=seed_of(inputs),
        result=result_of(visits),
        reason=reason,
        drawn_by=actor,
    )
    db.session.add(record)
    people = {user.id: user for user in plan.inspectors}
    for position, drawn in enumerate(visits):
        db.session.add(
            PlanVisit(
                draw=record,
                position=position,
                station_id=drawn.station,
                lead=people[drawn.lead],
                team=[people[i] for i in drawn.team],
            )
        )
    db.session.flush()
    audit.record(
        "plan.redraw" if previous else "plan.draw",
        subject=str(plan.id),
        after={"number": record.number, "seed": record.seed, "result": record.result},
        reason=reason,
        user=actor,
    )
    return record


def notify_teams(record: PlanDraw) -> int:
    """E-mail each drawn team its visit; a failed send changes nothing. The number of messages sent."""
    sent = 0
    plan = record.plan
    with force_locale(MAIL_LOCALE):
        for visit in record.visits:
            subject = _("Drawn for an inspection: %(station)s", station=visit.station.name)
            body = _(
                "Plan: %(plan)s\nStation: %(station)s (%(code)s)\nVisit between %(start)s and %(end)s\n"
                "Team: %(team)s\nLead: %(lead)s",
                plan=plan.name,
                station=visit.station.name,
                code=visit.station.code,
                start=plan.visit_start.isoformat(),
                end=plan.visit_end.isoformat(),
                team="、".join(user.name for user in visit.team),
                lead=visit.lead.name,
            ) + link("/assess/")
            sent += mail.send([user.email for user in visit.team if user.active], subject, body)
    return sent


@dataclass(frozen=True)
class Verification:
    reproduced: bool
    seed: str
    differences: list[str]


def verify(record: PlanDraw) -> Verification:
    """Run the draw again from its kept inputs: the same seed, the same result, the same visits."""
    differences = []
    seed = seed_of(record.inputs)
    if seed != record.seed:
        differences.append(f"seed {seed} != kept {record.seed}")
    try:
        again = result_of(draw(record.inputs))
    except DrawError as error:
        return Verification(False, seed, [f"the inputs give no draw: {error.code}"])
    if again != record.result:
        differences.append("the kept result differs from the draw run again")
    kept_visits = [(v.station_id, v.lead_id, sorted(u.id for u in v.team)) for v in record.visits]
    expected = [(v["station"], v["team"][0], sorted(v["team"])) for v in again]
    if kept_visits != expected:
        differences.append("the visits kept in the database differ from the draw run again")
    return Verification(not differences, seed, differences)


# --- visits -----------------------------------------------------------------------------------


def visit_status(visit: PlanVisit, today: date) -> str:
    assessment = visit.assessment
    if assessment is not None and assessment.is_finalized:
        return FINALIZED
    if today > visit.draw.plan.visit_end:
        return OVERDUE
    return IN_PROGRESS if assessment is not None else DRAWN


def current_visits_of(user: User) -> list[PlanVisit]:
    """The visits of every plan's latest draw the user is on the team of."""
    latest = db.select(db.func.max(PlanDraw.id)).group_by(PlanDraw.plan_id)
    return db.session.scalars(
        db.select(PlanVisit)
        .join(PlanDraw, PlanVisit.draw_id == PlanDraw.id)
        .join(InspectionPlan, PlanDraw.plan_id == InspectionPlan.id)
        .join(plan_visit_team, plan_visit_team.c.visit_id == PlanVisit.id)
        .where(plan_visit_team.c.user_id == user.id, PlanDraw.id.in_(latest))
        .order_by(InspectionPlan.visit_start, PlanVisit.id)
    ).all()


def visit_for(visit_id: int, user: User) -> PlanVisit:
    """A visit of a latest draw the user is drawn for; any other is unknown."""
    visit = next((v for v in current_visits_of(user) if v.id == visit_id), None)
    if visit is None:
        raise Refused(404, _l("There is no such visit."))
    return visit


def start_visit(visit: PlanVisit, user: User) -> Assessment:
    """The visit's assessment, made with the plan's form version and the drawn team (once)."""
    station = visit.station
    locks.lock(station)
    if visit.assessment is not None:
        return visit.assessment
    if not station.active:
        raise Refused(422, _l("This station is deactivated."))
    busy = db.session.scalar(db.select(Assessment.id).filter_by(station_id=station.id, status=IN_PROGRESS))
    if busy is not None:
        raise Refused(
            409, _l("Another assessment is in progress at this station: it must be finalized first.")
        )
    plan = visit.draw.plan
    assessment = Assessment(
        station=station,
        rubric_id=plan.rubric_id,
        rubric_version=plan.rubric_version,
        lead_assessor=visit.lead,
        team=list(visit.team),
    )
    db.session.add(assessment)
    db.session.flush()
    visit.assessment = assessment
    audit.record(
        "assessment.start",
        assessment=assessment,
        subject=station.code,
        after={"plan": plan.id, "visit": visit.id},
        user=user,
    )
    return assessment


# --- 一公开 -------------------------------------------------------------------------------------


def publish(plan: InspectionPlan, actor: User) -> None:
    if plan.current_draw is None:
        raise Refused(409, _l("Draw the plan before publishing its results."))
    if plan.published_at is None:
        plan.published_at = utcnow()
        audit.record(
            "plan.publish", subject=str(plan.id), after={"draw": plan.current_draw.number}, user=actor
        )


def withdraw(plan: InspectionPlan, actor: User) -> None:
    if plan.published_at is not None:
        plan.published_at = None
        audit.record("plan.withdraw", subject=str(plan.id), user=actor)


def published_plan(plan_id: int) -> InspectionPlan:
    plan = db.session.get(InspectionPlan, plan_id)
    if plan is None or plan.published_at is None or plan.current_draw is None:
        raise Refused(404, _l("There is no such published plan."))
    return plan


def rectification_status(assessment: Assessment | None) -> str:
    """none (no deduction), open, or complete (every deduction's latest answer accepted)."""
    if assessment is None or not assessment.is_finalized:
        return ""
    states = deductions(assessment)
    if not states:
        return "none"
    return "complete" if all(state.status == "accepted" for state in states) else "open"


def public_results(plan: InspectionPlan) -> dict:
    """Everything the public page, CSV and JSON show, and nothing else."""
    record = plan.current_draw
    rows = []
    for visit in record.visits:
        assessment = visit.assessment
        finalized = assessment is not None and assessment.is_finalized
        rows.append(
            {
                "station_id": visit.station_id,
                "station_code": visit.station.code,
                "station_name": visit.station.name,
                "date": assessment.finalized_at.date().isoformat() if finalized else None,
                "total": assessment.score if finalized else None,
                "rectification": rectification_status(assessment),
            }
        )
    return {
        "plan": {
            "id": plan.id,
            "name": plan.name,
            "period": [plan.period_start.isoformat(), plan.period_end.isoformat()],
        },
        "draw": {
            "number": record.number,
            "seed": record.seed,
            "inputs": record.inputs,
            "result": record.result,
        },
        "stations": rows,
    }


# --- complaint flags and declared conflicts ---------------------------------------------------


def flagged_stations(actor: User) -> list[StationComplaintFlag]:
    return db.session.scalars(
        db.select(StationComplaintFlag)
        .join(Station, Station.id == StationComplaintFlag.station_id)
        .where(regions.station_clause(actor))
        .order_by(Station.code)
    ).all()


def _station_by_code(code: str, actor: User) -> Station:
    code = (code or "").strip()
    station = (
        db.session.scalar(db.select(Station).where(Station.code == code, regions.station_clause(actor)))
        if code
        else None
    )
    if station is None:
        raise Refused(422, _l("There is no station with code %(code)s.", code=code), field="station_code")
    return station


def flag(station_code: str, reason: str, actor: User) -> StationComplaintFlag:
    station = _station_by_code(station_code, actor)
    reason = checked_text(
        reason, REASON_MAX_LENGTH, _l("At most %(max)d characters.", max=REASON_MAX_LENGTH), "reason"
    )
    if not reason:
        raise Refused(422, _l("Say what the complaints are about."), field="reason")
    existing = db.session.get(StationComplaintFlag, station.id)
    if existing is not None:
        return existing
    flagged = StationComplaintFlag(station=station, reason=reason, flagged_by=actor)
    db.session.add(flagged)
    audit.record("station.flag", subject=station.code, after={"reason": reason}, user=actor)
    return flagged


def unflag(station_id: int, actor: User) -> None:
    flagged = db.session.get(StationComplaintFlag, station_id)
    if flagged is None or not regions.can_see_station(actor, flagged.station):
        raise Refused(404, _l("There is no such station."))
    db.session.delete(flagged)
    audit.record(
        "station.unflag", subject=flagged.station.code, before={"reason": flagged.reason}, user=actor
    )


def declared_by(user: User) -> list[InspectorConflict]:
    return db.session.scalars(
        db.select(InspectorConflict).filter_by(user_id=user.id).order_by(InspectorConflict.id)
    ).all()


def declare(user: User, station_code: str, kind: str, ended_on: str, note: str) -> InspectorConflict:
    """An inspector's declared tie with a station; kept for good, like the draws it shaped."""
    station = db.session.scalar(db.select(Station).filter_by(code=(station_code or "").strip()))
    if station is None:
        raise Refused(
            422, _l("There is no station with code %(code)s.", code=station_code), field="station_code"
        )
    if kind not in CONFLICT_KINDS:
        raise Refused(422, _l("Choose what ties you to the station."), field="kind")
    note = checked_text(
        note, REASON_MAX_LENGTH, _l("At most %(max)d characters.", max=REASON_MAX_LENGTH), "note"
    )
    conflict = InspectorConflict(
        user=user, station=station, kind=kind, ended_on=_day(ended_on, "ended_on", required=False), note=note
    )
    db.session.add(conflict)
    audit.record(
        "conflict.declare",
        subject=station.code,
        after={"kind": kind, "ended_on": conflict.ended_on.isoformat() if conflict.ended_on else None},
        user=user,
    )
    return conflict


def inputs_text(inputs: dict) -> str:
    """A draw's inputs exactly as the seed hashes them, for anyone to hash again."""
    return canonical_json(inputs).decode("utf-8")


def visits_with_status(user: User, today: date) -> list[tuple[PlanVisit, str, str]]:
    """The user's drawn visits with where each stands and who is on it, for their home page."""
    return [(visit, visit_status(visit, today), team_names(visit)) for visit in current_visits_of(user)]


def team_names(visit: PlanVisit) -> str:
    """The team's names, the lead's marked."""
    return "、".join(
        _("%(name)s (lead)", name=user.name) if user.id == visit.lead_id else user.name for user in visit.team
    )


RECTIFICATION_LABELS = {
    "none": _l("No deduction"),
    "open": _l("Being rectified"),
    "complete": _l("Rectified"),
}
