"""Rectification deadlines (整改期限): set at 定稿 for the whole assessment or per deduction.

A deduction is due while the station still has to answer it (open, or not accepted); the
countdown is in whole days in the configured time zone, negative once overdue.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ANSWERED, FINALIZED, Assessment, Finding, Station, User
from app.services import audit
from app.services.rectifications import DeductionState, deductions
from app.services.refusals import Refused

ASSESSMENT_FIELD = "rectification_due"
ITEM_FIELD_PREFIX = "due-"
LONGEST = timedelta(days=3 * 365)


@dataclass(frozen=True)
class Countdown:
    due: date
    days: int

    @property
    def overdue(self) -> bool:
        return self.days < 0


@dataclass(frozen=True)
class Progress:
    """Where a finalized assessment's rectification stands, for the assessors' lists and screens."""

    to_answer: int
    """Deductions the station has still to answer (open or not accepted)."""
    to_review: int
    """Answers waiting for an assessor."""
    overdue: int
    """Deductions to answer past their deadline."""
    soonest: Countdown | None
    """The most urgent deadline of the deductions to answer."""

    @property
    def done(self) -> bool:
        return not self.to_answer and not self.to_review


@dataclass(frozen=True)
class Deadlines:
    """What the assessor set before 定稿: one date for every deduction and dates for some of them."""

    overall: date | None
    per_item: dict[str, date]


def today() -> date:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.now(zone).date()


def item_field(item_id: str) -> str:
    return f"{ITEM_FIELD_PREFIX}{item_id}"


def kept(assessment: Assessment) -> Deadlines:
    """The deadlines an assessment holds now: those of its last 定稿, kept through a reopen."""
    return Deadlines(
        assessment.rectification_due,
        {f.item_id: f.rectification_due for f in assessment.findings if f.rectification_due},
    )


def draft_of(assessment: Assessment) -> dict[str, str]:
    """The kept deadlines as the 定稿 form's fields, so a reopened assessment offers them again."""
    deadlines = kept(assessment)
    draft = {ASSESSMENT_FIELD: deadlines.overall.isoformat()} if deadlines.overall else {}
    draft.update({item_field(item_id): day.isoformat() for item_id, day in deadlines.per_item.items()})
    return draft


def draft_from_form(form) -> dict[str, str]:
    """The deadline fields exactly as sent, so a refused 定稿 shows them again."""
    return {
        name: value
        for name, value in form.items()
        if name == ASSESSMENT_FIELD or name.startswith(ITEM_FIELD_PREFIX)
    }


def from_form(form, item_ids: list[str], kept: Deadlines | None = None) -> Deadlines:
    """The checked deadlines of a 定稿 form; new dates must be ISO days from today on.

    A field the form does not send keeps the `kept` date (a reopen loses no deadline, and a page
    or client without the fields changes none); an empty field clears it. A kept date sent back
    unchanged is accepted even once it has passed: the deduction is overdue, not the form wrong.
    """
    kept = kept or Deadlines(None, {})
    overall = _field_day(form, ASSESSMENT_FIELD, kept.overall)
    per_item = {}
    for item_id in item_ids:
        day = _field_day(form, item_field(item_id), kept.per_item.get(item_id))
        if day is not None:
            per_item[item_id] = day
    return Deadlines(overall, per_item)


def _field_day(form, field: str, kept_day: date | None) -> date | None:
    if field not in form:
        return kept_day
    return _checked_day(form.get(field, ""), field, kept_day)


def _checked_day(raw: str, field: str, kept_day: date | None = None) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise Refused(422, _l("A deadline must be a date like 2026-12-31."), field=field) from None
    if day == kept_day:
        return day
    if day < today():
        raise Refused(422, _l("A deadline cannot be in the past."), field=field)
    if day > today() + LONGEST:
        raise Refused(422, _l("A deadline can be at most three years away."), field=field)
    return day


def record(assessment: Assessment, deadlines: Deadlines, user: User) -> None:
    """Store the deadlines with the 定稿; only deductions get one of their own. Every change (a
    deadline set, moved or cleared) is audited with what it was before."""
    before = kept(assessment)
    assessment.rectification_due = deadlines.overall
    for finding in assessment.findings:
        finding.rectification_due = deadlines.per_item.get(finding.item_id)
    after = kept(assessment)
    if after != before:
        audit.record(
            "rectification.deadline",
            assessment=assessment,
            before=_as_json(before) if before.overall or before.per_item else None,
            after=_as_json(after),
            user=user,
        )


def _as_json(deadlines: Deadlines) -> dict:
    return {
        "overall": deadlines.overall.isoformat() if deadlines.overall else None,
        "per_item": {key: day.isoformat() for key, day in sorted(deadlines.per_item.items())},
    }


def due_date(finding: Finding) -> date | None:
    return finding.rectification_due or finding.assessment.rectification_due


def countdown(state: DeductionState, on: date) -> Countdown | None:
    """Days left to answer a deduction, or None when it has no deadline or waits on nobody at the station."""
    due = due_date(state.finding)
    if due is None or not state.can_answer:
        return None
    return Countdown(due, (due - on).days)


def progress(assessment: Assessment, on: date) -> Progress | None:
    """The rectification of a finalized assessment against its deadlines; None with nothing to rectify."""
    states = deductions(assessment) if assessment.is_finalized else []
    if not states:
        return None
    countdowns = [left for state in states if (left := countdown(state, on)) is not None]
    return Progress(
        to_answer=sum(1 for state in states if state.can_answer),
        to_review=sum(1 for state in states if state.status == ANSWERED),
        overdue=sum(1 for left in countdowns if left.overdue),
        soonest=min(countdowns, key=lambda left: left.due, default=None),
    )


def due_for_station(station_id: int, on: date) -> list[tuple[Assessment, DeductionState, Countdown]]:
    """What the station still has to answer against a deadline, soonest first."""
    rows = []
    for assessment in _finalized_with_deadlines(db.select(Assessment).filter_by(station_id=station_id)):
        for state in deductions(assessment):
            left = countdown(state, on)
            if left is not None:
                rows.append((assessment, state, left))
    return sorted(rows, key=lambda row: (row[2].due, row[0].id, row[1].deduction.item.id))


def overdue_by_station(on: date, station_filter=None) -> list[tuple[Station, int]]:
    """Stations with deductions past their deadline and still unanswered, most overdue first;
    `station_filter` (a WHERE clause on Station) narrows them."""
    counts: dict[int, int] = {}
    stations: dict[int, Station] = {}
    # Two index range scans, so the cost follows the deadlines passed, not every assessment.
    past_due = Assessment.id.in_(
        db.union(
            db.select(Assessment.id).where(Assessment.rectification_due < on),
            db.select(Finding.assessment_id).where(Finding.rectification_due < on),
        )
    )
    statement = db.select(Assessment).filter(past_due)
    if station_filter is not None:
        statement = statement.filter(Assessment.station_id.in_(db.select(Station.id).where(station_filter)))
    for assessment in _finalized_with_deadlines(statement):
        overdue = sum(
            1
            for state in deductions(assessment)
            if (left := countdown(state, on)) is not None and left.overdue
        )
        if overdue:
            counts[assessment.station_id] = counts.get(assessment.station_id, 0) + overdue
            stations[assessment.station_id] = assessment.station
    return sorted(((stations[i], n) for i, n in counts.items()), key=lambda row: (-row[1], row[0].code))


def _finalized_with_deadlines(statement) -> list[Assessment]:
    with_deadline = db.or_(
        Assessment.rectification_due.is_not(None),
        Assessment.findings.any(Finding.rectification_due.is_not(None)),
    )
    return db.session.scalars(
        statement.filter(Assessment.status == FINALIZED, with_deadline).order_by(Assessment.id)
    ).all()
