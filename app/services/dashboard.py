"""The picture across stations for a period, from totals stored at finalize and SQL aggregates.

Nothing here rescores an assessment: totals come from `Assessment.score`, and deductions are
counted per (item, outcome) in SQL, then turned into points with the form each assessment used.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import get_timezone, to_utc

from app.extensions import db
from app.models import FINALIZED, IN_PROGRESS, Assessment, Finding, Station
from app.rubrics import registry
from app.services.paging import Page, paginate
from rubric import Item, Rubric

BUCKETS = ((0, 59, "<60"), (60, 69, "60-69"), (70, 79, "70-79"), (80, 89, "80-89"), (90, 100, "90-100"))
ORDERS = ("lowest", "highest", "code")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def last_twelve_months(cls, today: date | None = None) -> "Period":
        today = today or datetime.now(get_timezone()).date()
        try:
            year_ago = today.replace(year=today.year - 1)
        except ValueError:
            year_ago = today.replace(year=today.year - 1, day=28)
        return cls(year_ago + timedelta(days=1), today)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Local midnight at the start to local midnight after the end, as stored (naive UTC)."""
        start = to_utc(datetime.combine(self.start, time()))
        end = to_utc(datetime.combine(self.end + timedelta(days=1), time()))
        return start, end


@dataclass
class Bucket:
    label: str
    low: int
    high: int
    count: int = 0


@dataclass
class StationTotals:
    station: Station
    latest: int
    latest_at: datetime
    trend: list[int] = field(default_factory=list)


@dataclass
class ItemDeductions:
    item: Item
    assessments: int = 0
    deduction: int = 0
    share: float = 0.0


def _finalized_in(period: Period):
    start, end = period.utc_bounds()
    return (
        Assessment.status == FINALIZED,
        Assessment.finalized_at >= start,
        Assessment.finalized_at < end,
    )


def _latest_in(period: Period):
    """Each assessed station's last finalized assessment in the period."""
    ranked = (
        db.select(
            Assessment.station_id,
            Assessment.score,
            Assessment.finalized_at,
            db.func.row_number()
            .over(
                partition_by=Assessment.station_id,
                order_by=(Assessment.finalized_at.desc(), Assessment.id.desc()),
            )
            .label("rank"),
        )
        .where(*_finalized_in(period))
        .subquery()
    )
    return (
        db.select(ranked.c.station_id, ranked.c.score, ranked.c.finalized_at)
        .where(ranked.c.rank == 1)
        .subquery("latest")
    )


def summary(period: Period) -> dict:
    return {
        "assessments_finalized": db.session.scalar(
            db.select(db.func.count()).select_from(Assessment).where(*_finalized_in(period))
        ),
        "in_progress": db.session.scalar(
            db.select(db.func.count()).select_from(Assessment).filter_by(status=IN_PROGRESS)
        ),
        "active_stations": db.session.scalar(
            db.select(db.func.count()).select_from(Station).filter_by(active=True)
        ),
    }


@dataclass
class Spread:
    """The stations assessed in a period, counted by the band of their latest total."""

    buckets: list[Bucket]
    stations: int
    average: float | None


def spread(period: Period) -> Spread:
    latest = _latest_in(period)
    band = db.case(*((latest.c.score <= high, index) for index, (_, high, _) in enumerate(BUCKETS)))
    rows = db.session.execute(
        db.select(band, db.func.count(), db.func.sum(latest.c.score))
        .where(latest.c.score.is_not(None))
        .group_by(band)
    ).all()
    counts = {index: (count, total) for index, count, total in rows}
    buckets = [
        Bucket(label, low, high, counts.get(index, (0, 0))[0])
        for index, (low, high, label) in enumerate(BUCKETS)
    ]
    stations = sum(count for count, _ in counts.values())
    total = sum(total for _, total in counts.values())
    return Spread(buckets, stations, round(total / stations, 1) if stations else None)


def station_totals(
    period: Period, page: int, order: str = "lowest", per_page: int = 20, total: int | None = None
) -> Page:
    """A page of assessed stations with their latest total and every total up to the period's end."""
    latest = _latest_in(period)
    ordering = {
        "lowest": (latest.c.score.asc(), Station.code),
        "highest": (latest.c.score.desc(), Station.code),
        "code": (Station.code,),
    }[order if order in ORDERS else "lowest"]
    statement = (
        db.select(Station, latest.c.score, latest.c.finalized_at)
        .join(latest, latest.c.station_id == Station.id)
        .order_by(*ordering)
    )
    result = paginate(statement, page, per_page, scalars=False, total=total)
    rows = [StationTotals(station, score, at) for station, score, at in result.items]
    trends = _trends([row.station.id for row in rows], period.utc_bounds()[1])
    for row in rows:
        row.trend = trends.get(row.station.id, [row.latest])
    result.items = rows
    return result


def _trends(station_ids: list[int], until: datetime) -> dict[int, list[int]]:
    if not station_ids:
        return {}
    trends: dict[int, list[int]] = {}
    rows = db.session.execute(
        db.select(Assessment.station_id, Assessment.score)
        .where(
            Assessment.station_id.in_(station_ids),
            Assessment.status == FINALIZED,
            Assessment.finalized_at < until,
        )
        .order_by(Assessment.station_id, Assessment.finalized_at, Assessment.id)
    )
    for station_id, score in rows:
        trends.setdefault(station_id, []).append(score)
    return trends


def deduction_outcomes() -> set[str]:
    """Every outcome key that gives less than its item's points on some form."""
    return {
        outcome.key
        for rubric in registry().all()
        for item in rubric.items
        for outcome in item.outcomes
        if outcome.points < item.points
    }


def _deduction_counts(period: Period, rubric: Rubric) -> list[tuple[str, str, int]]:
    """(item id, outcome, findings) in the period's finalized assessments that used this form.

    Driven from the findings' (outcome, assessment_id) index: only findings that may lose points
    are read, never the full-marks majority.
    """
    scored_with_rubric = db.select(Assessment.id).where(
        *_finalized_in(period), Assessment.rubric_id == rubric.id, Assessment.rubric_version == rubric.version
    )
    return db.session.execute(
        db.select(Finding.item_id, Finding.outcome, db.func.count())
        .where(
            Finding.outcome.in_(sorted(deduction_outcomes())), Finding.assessment_id.in_(scored_with_rubric)
        )
        .group_by(Finding.item_id, Finding.outcome)
    ).all()


def top_deductions(period: Period, finalized: int, limit: int = 10) -> list[ItemDeductions]:
    """Items most often losing points in the period's `finalized` assessments, most often first."""
    by_item: dict[str, ItemDeductions] = {}
    for rubric in registry().all():
        for item_id, outcome_key, count in _deduction_counts(period, rubric):
            item = rubric.item(item_id)
            outcome = item.outcome(outcome_key) if item else None
            if outcome is None or outcome.points >= item.points:
                continue
            entry = by_item.setdefault(item_id, ItemDeductions(item))
            entry.assessments += count
            entry.deduction += count * (item.points - outcome.points)
    for entry in by_item.values():
        entry.share = entry.assessments / finalized if finalized else 0.0
    order = {item.id: index for index, item in enumerate(_all_items())}
    ranked = sorted(by_item.values(), key=lambda e: (-e.assessments, -e.deduction, order.get(e.item.id, 0)))
    return ranked[:limit]


def _all_items():
    seen = {}
    for rubric in registry().all():
        for item in rubric.items:
            seen.setdefault(item.id, item)
    return list(seen.values())
