"""Logins the server can end: one row per device, found by the hash of the cookie's token.

A session lasts SESSION_IDLE_LIFETIME after its last request and never longer than
SESSION_MAX_LIFETIME after the login. Ending a session deletes its row, so a copied cookie
is worth nothing afterwards, even if the account is reactivated.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app

from app.extensions import db
from app.models import User, UserSession, utcnow

# last_seen_at is written at most this often, so reading a page is not a database write.
TOUCH_EVERY = timedelta(minutes=5)


def start(user: User) -> str:
    """A new session for the user; the token goes into the cookie and nowhere else."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_sha256=_digest(token), user_id=user.id))
    return token


def user_for(token: str) -> User | None:
    """The active user whose live session this token is, or None (ended, expired or unknown).

    Expiring or touching the row happens in its own transaction: the user may be loaded in the
    middle of a request whose own changes must commit (or not) on their own.
    """
    digest = _digest(token) if token else ""
    row = db.session.get(UserSession, digest) if digest else None
    if row is None:
        return None
    now = utcnow()
    if _expired(row, now) or not row.user.active:
        _write(db.delete(UserSession).filter_by(token_sha256=digest))
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        _write(db.update(UserSession).filter_by(token_sha256=digest).values(last_seen_at=now))
    row.user.session_token = token
    return row.user


def _write(statement) -> None:
    with db.engine.begin() as connection:
        connection.execute(statement)


def end(token: str | None) -> None:
    """End one session (logout); the caller commits."""
    if token:
        db.session.execute(db.delete(UserSession).filter_by(token_sha256=_digest(token)))


def end_all(user: User, keep: str | None = None) -> int:
    """End every session of the user but `keep`; answers how many ended. The caller commits."""
    statement = db.delete(UserSession).filter_by(user_id=user.id)
    if keep:
        statement = statement.where(UserSession.token_sha256 != _digest(keep))
    return db.session.execute(statement).rowcount


def count(user: User) -> int:
    now = utcnow()
    rows = db.session.scalars(db.select(UserSession).filter_by(user_id=user.id))
    return sum(1 for row in rows if not _expired(row, now))


def _expired(row: UserSession, now) -> bool:
    config = current_app.config
    return (
        now - row.last_seen_at > config["SESSION_IDLE_LIFETIME"]
        or now - row.created_at > config["SESSION_MAX_LIFETIME"]
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
