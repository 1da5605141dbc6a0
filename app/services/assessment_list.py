"""The assessments an actor sees, narrowed by region, station, status, start date and assessor."""

from datetime import date, datetime, time, timedelta

from flask_babel import to_utc
from sqlalchemy.orm import contains_eager, selectinload

from app.extensions import db
from app.models import STATUSES, Assessment, Station, User, assessment_team
from app.services import regions
from app.services.search import contains


def assessors(actor: User | None) -> list[User]:
    """Everyone who can score whom the actor manages, for the assessor filter."""
    return db.session.scalars(
        db.select(User)
        .where(User.role.in_(("admin", "assessor")), regions.user_clause(actor))
        .order_by(User.username)
    ).all()


def search(
    *,
    actor: User | None,
    region: str = "",
    station: str = "",
    status: str = "",
    assessor_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    newest_by=Assessment.started_at,
):
    """Those the actor sees, newest first (by `newest_by`, the start unless told); `region` is a
    region's code (its subtree, when the actor sees it), the assessor is anyone on the team, the
    dates are local calendar days of the start."""
    statement = (
        db.select(Assessment)
        .join(Assessment.station)
        .options(contains_eager(Assessment.station), selectinload(Assessment.lead_assessor))
        .where(regions.assessment_clause(actor), Assessment.is_test.is_(False))
        .order_by(newest_by.desc(), Assessment.id.desc())
    )
    if region:
        within = regions.by_code(region)
        if within is None or (actor is not None and not regions.can_see_region(actor, within)):
            return statement.where(db.false())
        if regions.narrowing(within) is not None:
            statement = statement.where(Station.region_id.in_(regions.subtree_ids(within.id)))
    if station:
        matching = db.select(Station.id).where(contains(station, Station.code, Station.name))
        statement = statement.where(Assessment.station_id.in_(matching))
    if status in STATUSES:
        statement = statement.where(Assessment.status == status)
    if assessor_id:
        on_team = db.select(assessment_team.c.assessment_id).where(assessment_team.c.user_id == assessor_id)
        statement = statement.where(Assessment.id.in_(on_team))
    if start:
        statement = statement.where(Assessment.started_at >= to_utc(datetime.combine(start, time())))
    if end:
        statement = statement.where(
            Assessment.started_at < to_utc(datetime.combine(end + timedelta(days=1), time()))
        )
    return statement
