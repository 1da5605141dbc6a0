"""Every assessment, narrowed by station, status, start date and assessor."""

from datetime import date, datetime, time, timedelta

from flask_babel import to_utc
from sqlalchemy.orm import contains_eager, selectinload

from app.extensions import db
from app.models import STATUSES, Assessment, Station, User, assessment_team
from app.services.search import contains


def assessors() -> list[User]:
    """Everyone who can score, for the assessor filter."""
    return db.session.scalars(
        db.select(User).where(User.role.in_(("admin", "assessor"))).order_by(User.username)
    ).all()


def search(
    station: str = "",
    status: str = "",
    assessor_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    newest_by=Assessment.started_at,
):
    """Newest first (by `newest_by`, the start unless told); the assessor is anyone on the team,
    the dates are local calendar days of the start."""
    statement = (
        db.select(Assessment)
        .join(Assessment.station)
        .options(contains_eager(Assessment.station), selectinload(Assessment.lead_assessor))
        .order_by(newest_by.desc(), Assessment.id.desc())
    )
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
