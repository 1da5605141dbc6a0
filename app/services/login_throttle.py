"""Slow down password guessing, per username and per client, across every worker.

An attempt is counted before its password is checked, in one atomic statement on a shared
table, so parallel guesses cannot all slip through before the first failure is written. A
successful login clears its username's count and gives its client's attempt back.
"""

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import LoginAttempt, utcnow

ATTEMPTS = LoginAttempt.__table__


def seconds_to_wait(username: str, client: str) -> int:
    """Count this attempt; answer 0 if it may go ahead, else how long to wait."""
    config = current_app.config
    window = config["LOGIN_WINDOW"]
    return max(
        take(username_key(username), config["LOGIN_ATTEMPTS_PER_USERNAME"], window),
        take(client_key(client), config["LOGIN_ATTEMPTS_PER_CLIENT"], window),
    )


def succeeded(username: str, client: str) -> None:
    """A right password: the username starts afresh and the client's attempt is given back."""
    with db.engine.begin() as connection:
        connection.execute(ATTEMPTS.delete().where(ATTEMPTS.c.key == username_key(username)))
        connection.execute(
            update(ATTEMPTS)
            .where(ATTEMPTS.c.key == client_key(client), ATTEMPTS.c.count > 0)
            .values(count=ATTEMPTS.c.count - 1)
        )


def username_key(username: str) -> str:
    return "user:" + username.strip().lower()[:64]


def client_key(client: str) -> str:
    return "client:" + (client or "unknown")[:64]


def take(key: str, limit: int, window: timedelta) -> int:
    """Count one attempt under `key`; answer 0 while within `limit` per `window`, else how long to wait."""
    now = utcnow()
    with db.engine.begin() as connection:
        counted = _count_attempt(connection.dialect.name, key, now, now - window)
        count, start = connection.execute(counted).one()
    if count <= limit:
        return 0
    return max(1, math.ceil((start + window - now).total_seconds()))


def _count_attempt(dialect: str, key: str, now: datetime, cutoff: datetime):
    """One statement, so a login clearing the row meanwhile cannot leave nothing to count: a new
    key starts at 1, a window that ran out starts again at 1, otherwise the count goes up by one."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    ran_out = ATTEMPTS.c.window_start < cutoff
    return (
        insert(ATTEMPTS)
        .values(key=key, count=1, window_start=now)
        .on_conflict_do_update(
            index_elements=[ATTEMPTS.c.key],
            set_={
                "count": case((ran_out, 1), else_=ATTEMPTS.c.count + 1),
                "window_start": case((ran_out, now), else_=ATTEMPTS.c.window_start),
            },
        )
        .returning(ATTEMPTS.c.count, ATTEMPTS.c.window_start)
    )
