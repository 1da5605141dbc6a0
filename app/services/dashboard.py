"""The picture across stations for a period, from totals stored at finalize and daily tallies.

Nothing here rescores an assessment, and nothing reads every assessment of the period: totals come
from `Assessment.score`, found by one index seek per station; how many assessments were finalized
and which items lost points come from daily tallies (`DailyFinalized`, `DailyDeduction`) that
finalize adds to and reopen takes back, so the cost follows the days in the period and the number
of stations, not the number of assessments.

Every figure is for a region's subtree (`within`) or, with `within=None`, for everything; the
daily tallies count everything, so figures for a region count its assessments and findings
instead (a region's share of them). `rollup` sets each child region beside the others.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import get_timezone, to_user_timezone, to_utc
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import (
    FINALIZED,
    IN_PROGRESS,
    Assessment,
    DailyDeduction,
    DailyFinalized,
    Finding,
    Region,
    Station,
)
from app.services import regions
from app.services.paging import Page, paginate
from app.services.rubrics import active_rubric, registry
from rubric import Item, Rubric, Scorecard
from rubric.compare import lineage

BUCKETS = ((0, 59, "<60"), (60, 69, "60-69"), (70, 79, "70-79"), (80, 89, "80-89"), (90, 100, "90-100"))
LOW, HIGH = "low", "high"
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
    rubric_version: str = ""
    """The form version the latest assessment used."""

    @property
    def standing(self) -> str:
        """LOW in the spread's lowest band (below 60), HIGH in its highest (90 and up), else ""."""
        if self.latest <= BUCKETS[0][1]:
            return LOW
        return HIGH if self.latest >= BUCKETS[-1][0] else ""


@dataclass
class ItemDeductions:
    item: Item
    assessments: int = 0
    deduction: int = 0
    share: float = 0.0
    # The form version this row counts alone, when its item was split or merged into others since
    # and so cannot be counted with theirs; None when the row compares across versions.
    only_version: str | None = None


def _stations_in(within: Region | None):
    """A WHERE clause on Station for the region's subtree, or None for every station."""
    return regions.stations_clause_within(within)


def _finalized_in(period: Period, within: Region | None):
    """The period's finalized assessments of the region's subtree, as a WHERE clause."""
    start, end = period.utc_bounds()
    clause = db.and_(
        Assessment.status == FINALIZED, Assessment.finalized_at >= start, Assessment.finalized_at < end
    )
    stations = _stations_in(within)
    if stations is not None:
        clause = db.and_(clause, Assessment.station_id.in_(db.select(Station.id).where(stations)))
    return clause


def _latest_in(period: Period, within: Region | None = None):
    """Each assessed station's last finalized assessment in the period: per station, one seek in
    the (station_id, finalized_at) index for its newest assessment finalized in the period."""
    start, end = period.utc_bounds()
    newest = (
        db.select(Assessment.id)
        .where(
            Assessment.station_id == Station.id,
            Assessment.finalized_at >= start,
            Assessment.finalized_at < end,
            Assessment.status == FINALIZED,
        )
        .order_by(Assessment.finalized_at.desc(), Assessment.id.desc())
        .limit(1)
        .correlate(Station)
        .scalar_subquery()
    )
    stations = db.select(newest).select_from(Station)
    if _stations_in(within) is not None:
        stations = stations.where(_stations_in(within))
    return (
        db.select(Assessment.station_id, Assessment.score, Assessment.finalized_at, Assessment.rubric_version)
        .where(Assessment.id.in_(stations))
        .subquery("latest")
    )


def summary(period: Period, within: Region | None = None) -> dict:
    stations = _stations_in(within)
    if stations is None:
        finalized = db.session.scalar(
            db.select(db.func.coalesce(db.func.sum(DailyFinalized.assessments), 0)).where(
                DailyFinalized.day.between(period.start, period.end)
            )
        )
        in_station = db.true()
    else:
        finalized = db.session.scalar(
            db.select(db.func.count()).select_from(Assessment).where(_finalized_in(period, within))
        )
        in_station = Assessment.station_id.in_(db.select(Station.id).where(stations))
    return {
        "assessments_finalized": finalized,
        "in_progress": db.session.scalar(
            db.select(db.func.count())
            .select_from(Assessment)
            .filter_by(status=IN_PROGRESS, is_test=False)
            .where(in_station)
        ),
        "active_stations": db.session.scalar(
            db.select(db.func.count())
            .select_from(Station)
            .filter_by(active=True)
            .where(stations if stations is not None else db.true())
        ),
    }


@dataclass
class RegionFigures:
    """One child region's figures beside its siblings' (or the stations directly in the parent)."""

    region: Region
    direct: bool = False
    active_stations: int = 0
    stations_assessed: int = 0
    assessments_finalized: int = 0
    score_sum: int = 0

    @property
    def average(self) -> float | None:
        return round(self.score_sum / self.stations_assessed, 1) if self.stations_assessed else None


def rollup(period: Period, within: Region) -> list[RegionFigures]:
    """Each child region of `within` with its subtree's figures, by code; stations directly in
    `within` come first as a row of their own. The sum of the rows is `within`'s figures."""
    parents = {id_: parent for id_, parent in db.session.execute(db.select(Region.id, Region.parent_id))}
    children = db.session.scalars(
        db.select(Region).filter_by(parent_id=within.id).order_by(Region.code)
    ).all()
    rows = {child.id: RegionFigures(child) for child in children}
    direct = RegionFigures(within, direct=True)

    def row_of(region_id: int) -> RegionFigures:
        current, seen = region_id, set()
        while current is not None and current not in seen:
            if current in rows:
                return rows[current]
            if current == within.id:
                return direct
            seen.add(current)
            current = parents.get(current)
        return direct

    in_subtree = Station.region_id.in_(regions.subtree_ids(within.id))
    station_rows: dict[int, RegionFigures] = {}
    for station_id, region_id, active in db.session.execute(
        db.select(Station.id, Station.region_id, Station.active).where(in_subtree)
    ):
        row = station_rows[station_id] = row_of(region_id)
        row.active_stations += 1 if active else 0
    latest = _latest_in(period, within)
    for station_id, score in db.session.execute(
        db.select(latest.c.station_id, latest.c.score).where(latest.c.score.is_not(None))
    ):
        row = station_rows[station_id]
        row.stations_assessed += 1
        row.score_sum += score
    for station_id, count in db.session.execute(
        db.select(Assessment.station_id, db.func.count())
        .where(_finalized_in(period, within))
        .group_by(Assessment.station_id)
    ):
        station_rows[station_id].assessments_finalized += count
    shown = [direct] if direct.active_stations or direct.assessments_finalized else []
    return shown + list(rows.values())


@dataclass
class Spread:
    """The stations assessed in a period, counted by the band of their latest total."""

    buckets: list[Bucket]
    stations: int
    average: float | None


def spread(period: Period, within: Region | None = None) -> Spread:
    latest = _latest_in(period, within)
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
    period: Period,
    page: int,
    order: str = "lowest",
    per_page: int = 20,
    total: int | None = None,
    within: Region | None = None,
) -> Page:
    """A page of assessed stations with their latest total and every total up to the period's end."""
    latest = _latest_in(period, within)
    ordering = {
        "lowest": (latest.c.score.asc(), Station.code),
        "highest": (latest.c.score.desc(), Station.code),
        "code": (Station.code,),
    }[order if order in ORDERS else "lowest"]
    statement = (
        db.select(Station, latest.c.score, latest.c.finalized_at, latest.c.rubric_version)
        .join(latest, latest.c.station_id == Station.id)
        .order_by(*ordering)
    )
    result = paginate(statement, page, per_page, scalars=False, total=total)
    rows = [
        StationTotals(station, score, at, rubric_version=version)
        for station, score, at, version in result.items
    ]
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


def top_deductions(
    period: Period, finalized: int, limit: int = 10, within: Region | None = None
) -> list[ItemDeductions]:
    """Items most often losing points in the period's `finalized` assessments, most often first."""
    if _stations_in(within) is None:
        rows = _tallied_deductions(period)
    else:
        rows = _counted_deductions(period, within)
    return _ranked(rows, finalized, limit)


def _counted_deductions(period: Period, within: Region):
    """Per form, item and losing outcome, how many of the region's period assessments lost points."""
    losing = {
        (rubric.id, rubric.version, item.id, outcome.key)
        for rubric in registry().all()
        for item in rubric.items
        for outcome in item.outcomes
        if item.loses_points(outcome)
    }
    found = db.session.execute(
        db.select(
            Assessment.rubric_id,
            Assessment.rubric_version,
            Finding.item_id,
            Finding.outcome,
            db.func.count(),
        )
        .join(Finding, Finding.assessment_id == Assessment.id)
        .where(_finalized_in(period, within), Finding.outcome.in_({key for *_, key in losing}))
        .group_by(Assessment.rubric_id, Assessment.rubric_version, Finding.item_id, Finding.outcome)
    )
    return [row for row in found if tuple(row[:4]) in losing]


def _tallied_deductions(period: Period):
    return db.session.execute(
        db.select(
            DailyDeduction.rubric_id,
            DailyDeduction.rubric_version,
            DailyDeduction.item_id,
            DailyDeduction.outcome,
            db.func.sum(DailyDeduction.assessments),
        )
        .where(DailyDeduction.day.between(period.start, period.end))
        .group_by(
            DailyDeduction.rubric_id,
            DailyDeduction.rubric_version,
            DailyDeduction.item_id,
            DailyDeduction.outcome,
        )
    )


def _ranked(rows, finalized: int, limit: int) -> list[ItemDeductions]:
    by_item: dict[tuple, ItemDeductions] = {}
    current = active_rubric()
    counterparts: dict[tuple[str, str], dict[str, str]] = {}
    for rubric_id, version, item_id, outcome_key, count in rows:
        rubric = registry().get(rubric_id, version)
        item = rubric.item(item_id)
        outcome = item.outcome(outcome_key) if item else None
        if outcome is None or not count:
            continue
        if (rubric_id, version) not in counterparts:
            counterparts[rubric_id, version] = _counterparts_in(rubric, current)
        same = counterparts[rubric_id, version].get(item_id)
        if same is not None:
            entry = by_item.setdefault(("", same), ItemDeductions(current.item(same)))
        else:
            key = (version, item_id)
            entry = by_item.setdefault(key, ItemDeductions(item, only_version=version))
        entry.assessments += count
        entry.deduction += count * (item.points - outcome.points)
    for entry in by_item.values():
        entry.share = entry.assessments / finalized if finalized else 0.0
    order = {item.id: index for index, item in enumerate(_all_items())}
    ranked = sorted(by_item.values(), key=lambda e: (-e.assessments, -e.deduction, order.get(e.item.id, 0)))
    return ranked[:limit]


def _counterparts_in(rubric: Rubric, current: Rubric) -> dict[str, str]:
    """Each item of `rubric` that the form in use continues one to one (the same id, or renumbered
    through `earlier_ids`) -> that item's id there. An item split or merged since has none: its
    deductions cannot be added to those of the items that replaced it."""
    if rubric.id != current.id:
        return {}
    if rubric.version == current.version:
        return {item.id: item.id for item in rubric.items}
    successors: dict[str, list[str]] = {}
    links = lineage(rubric, current)
    for new_id, earlier in links.items():
        for old_id in earlier:
            successors.setdefault(old_id, []).append(new_id)
    return {
        old_id: new_ids[0]
        for old_id, new_ids in successors.items()
        if len(new_ids) == 1 and links[new_ids[0]] == (old_id,)
    }


def count_finalized(assessment: Assessment, card: Scorecard, change: int) -> None:
    """Add a finalized assessment to the daily tallies (change=1), or take it back at reopen (-1).

    Runs in the finalize or reopen transaction; an upsert, so two finalizes on one day both count.
    """
    day = to_user_timezone(assessment.finalized_at).date()
    _add(DailyFinalized, [{"day": day, "assessments": change}], ["day"])
    deductions = [
        {
            "day": day,
            "rubric_id": assessment.rubric_id,
            "rubric_version": assessment.rubric_version,
            "item_id": item_score.item.id,
            "outcome": item_score.outcome.key,
            "assessments": change,
        }
        for item_score in card.items.values()
        if item_score.item.loses_points(item_score.outcome)
    ]
    _add(DailyDeduction, deductions, ["day", "rubric_id", "rubric_version", "item_id", "outcome"])


def _add(model, rows: list[dict], key: list[str]) -> None:
    """INSERT … ON CONFLICT DO UPDATE assessments = assessments + excluded (SQLite and PostgreSQL)."""
    if not rows:
        return
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[db.session.get_bind().dialect.name]
    statement = dialect.insert(model).values(rows)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=key, set_={"assessments": model.assessments + statement.excluded.assessments}
        )
    )


def rebuild_tallies(connection) -> None:
    """Recount the daily tallies from the finalized assessments (after a bulk load or the migration)."""
    connection.execute(db.delete(DailyDeduction))
    connection.execute(db.delete(DailyFinalized))
    finalized = {
        assessment_id: (to_user_timezone(at).date(), rubric_id, version)
        for assessment_id, at, rubric_id, version in connection.execute(
            db.select(
                Assessment.id, Assessment.finalized_at, Assessment.rubric_id, Assessment.rubric_version
            ).where(Assessment.status == FINALIZED)
        )
    }
    days = Counter(day for day, _, _ in finalized.values())
    losing = {
        (rubric.id, rubric.version, item.id, outcome.key)
        for rubric in registry().all()
        for item in rubric.items
        for outcome in item.outcomes
        if item.loses_points(outcome)
    }
    deductions = Counter()
    findings = connection.execute(
        db.select(Finding.assessment_id, Finding.item_id, Finding.outcome).where(
            Finding.assessment_id.in_(db.select(Assessment.id).where(Assessment.status == FINALIZED)),
            Finding.outcome.in_({key for *_, key in losing}),
        )
    )
    for assessment_id, item_id, outcome in findings:
        day, rubric_id, version = finalized[assessment_id]
        if (rubric_id, version, item_id, outcome) in losing:
            deductions[day, rubric_id, version, item_id, outcome] += 1
    if days:
        connection.execute(
            db.insert(DailyFinalized), [{"day": day, "assessments": count} for day, count in days.items()]
        )
    if deductions:
        columns = ("day", "rubric_id", "rubric_version", "item_id", "outcome")
        connection.execute(
            db.insert(DailyDeduction),
            [
                {**dict(zip(columns, key, strict=True)), "assessments": count}
                for key, count in deductions.items()
            ],
        )


def _all_items():
    seen = {}
    for rubric in registry().all():
        for item in rubric.items:
            seen.setdefault(item.id, item)
    return list(seen.values())
