"""Accounts: who may assess, who works at which station, who administers; the caller commits.

The rules for an account live here, for the admin pages and the `user create` command alike: each
refusal is a `Refused` naming its field (`username`, `station_code`, `password`).
"""

import re

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Region, Station, User
from app.services import audit, passwords, regions, sessions
from app.services.refusals import Refused
from app.services.search import contains

ROLE_LABELS = {"admin": _l("Administrator"), "assessor": _l("Assessor"), "staff": _l("Station staff")}
USERNAME_MAX_LENGTH = 64
USERNAME_CHARACTERS = re.compile(r"[A-Za-z0-9_.-]+")


def search(query: str, role: str = "", *, actor: User | None):
    """Users the actor manages whose username or name contains the query, optionally of one role,
    by username."""
    statement = db.select(User).where(regions.user_clause(actor)).order_by(User.username)
    query = (query or "").strip()
    if query:
        statement = statement.where(contains(query, User.username, User.display_name))
    if role in ROLE_LABELS:
        statement = statement.filter_by(role=role)
    return statement


def _profile(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "station": user.station.code if user.station else None,
        "region": user.region.code if user.region else None,
        "active": user.active,
    }


def check_username(username: str) -> None:
    """A new account's username: given, short, of letters, digits, dot, dash or underscore, and free."""
    if not username:
        raise Refused(422, _l("Enter a username."), field="username")
    if len(username) > USERNAME_MAX_LENGTH:
        raise Refused(422, _l("At most %(max)d characters.", max=USERNAME_MAX_LENGTH), field="username")
    if not USERNAME_CHARACTERS.fullmatch(username):
        raise Refused(422, _l("Use letters, digits, dot, dash or underscore."), field="username")
    if db.session.scalar(db.select(User.id).filter_by(username=username)):
        raise Refused(422, _l("This username is taken."), field="username")


def station_for(role: str, station_code: str | None, actor: User | None = None) -> Station | None:
    """The station an account of `role` belongs to: station staff name an existing one the actor
    sees; any other role belongs to none, whatever code comes with it."""
    if role != "staff":
        return None
    station = station_by_code(station_code, actor) if station_code else None
    if station_code and station is None:
        raise Refused(
            422, _l("There is no station with code %(code)s.", code=station_code), field="station_code"
        )
    _check_station(role, station)
    return station


def station_by_code(code: str, actor: User | None) -> Station | None:
    """The station with this code among those the actor sees, whatever its case ("gz003" finds
    GZ003); an exact match first."""
    seen = db.select(Station).where(regions.station_clause(actor))
    exact = db.session.scalar(seen.filter_by(code=code))
    if exact is not None:
        return exact
    return db.session.scalar(
        seen.where(db.func.upper(Station.code) == code.upper()).order_by(Station.id).limit(1)
    )


def station_choices(actor: User | None) -> list[tuple[str, str]]:
    """(code, name) of every active station the actor sees, by code: the picker of the station
    code field."""
    return db.session.execute(
        db.select(Station.code, Station.name)
        .filter_by(active=True)
        .where(regions.station_clause(actor))
        .order_by(Station.code)
    ).all()


def _check_station(role: str, station: Station | None) -> None:
    if role == "staff" and station is None:
        raise Refused(422, _l("Station staff need the code of their station."), field="station_code")


def region_for(role: str, region: Region | None, actor: User | None) -> Region | None:
    """The region an account of `role` belongs to: staff none (their station's), anyone else the
    given one or the actor's own; administrators only below their maker's level."""
    if role == "staff":
        return None
    region = region or regions.region_for(actor, None)
    regions.check_region_for_role(actor, role, region)
    return region


def create(
    username: str,
    display_name: str,
    role: str,
    station: Station | None,
    password: str,
    email: str = "",
    *,
    actor: User | None,
    region: Region | None = None,
) -> User:
    check_username(username)
    _check_station(role, station)
    region = region_for(role, region, actor)
    problem = passwords.problem(password, username)
    if problem is not None:
        raise Refused(422, problem, field="password")
    user = User(
        username=username,
        display_name=display_name,
        email=email or "",
        role=role,
        station=station if role == "staff" else None,
        region=region,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", subject=username, after=_profile(user), user=actor)
    return user


def update(
    user: User,
    display_name: str,
    role: str,
    station: Station | None,
    actor: User,
    email: str = "",
    region: Region | None = None,
) -> None:
    if user.id == actor.id and role != user.role:
        raise Refused(422, _l("You cannot change your own role."))
    if user.id == actor.id and region is not None and region != user.region:
        raise Refused(422, _l("You cannot change your own region."), field="region_code")
    _check_station(role, station)
    # One's own region stays: only an administrator above can move it.
    region = user.region if user.id == actor.id else region_for(role, region or user.region, actor)
    before = _profile(user)
    user.display_name = display_name
    user.email = email or ""
    user.role = role
    user.station = station if role == "staff" else None
    user.region = region if role != "staff" else None
    after = _profile(user)
    if after != before:
        audit.record("user.update", subject=user.username, before=before, after=after, user=actor)


def reset_password(user: User, password: str, actor: User | None) -> None:
    """The old password stops working, and so does every device logged in with it."""
    user.set_password(password)
    ended = sessions.end_all(user)
    audit.record("user.password_reset", subject=user.username, after={"sessions_ended": ended}, user=actor)


def end_sessions(user: User, actor: User | None) -> int:
    """Log the user out on every device (a lost phone); what waits in a phone's outbox stays there."""
    ended = sessions.end_all(user)
    audit.record("user.sessions_end", subject=user.username, after={"ended": ended}, user=actor)
    return ended


def set_active(user: User, active: bool, actor: User) -> None:
    """Deactivated users cannot log in; what they did stays attributed to them."""
    if user.id == actor.id and not active:
        raise Refused(422, _l("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    if not active:
        sessions.end_all(user)
    action = "user.reactivate" if active else "user.deactivate"
    audit.record(
        action, subject=user.username, before={"active": not active}, after={"active": active}, user=actor
    )
