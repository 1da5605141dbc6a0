"""Slow down password guessing: after a few failures a username waits longer and longer."""

import math
from datetime import timedelta

from flask import current_app

from app.extensions import db
from app.models import LoginFailure, utcnow

BASE_DELAY_SECONDS = 30


def seconds_to_wait(username: str) -> int:
    failure = db.session.get(LoginFailure, _key(username))
    if failure is None or _expired(failure):
        return 0
    excess = failure.count - current_app.config["LOGIN_FAILURES_BEFORE_DELAY"]
    if excess < 0:
        return 0
    max_delay = current_app.config["LOGIN_MAX_DELAY"]
    delay = min(timedelta(seconds=BASE_DELAY_SECONDS * 2 ** min(excess, 16)), max_delay)
    remaining = (failure.last_at + delay - utcnow()).total_seconds()
    return math.ceil(remaining) if remaining > 0 else 0


def record_failure(username: str) -> None:
    failure = db.session.get(LoginFailure, _key(username))
    if failure is None:
        failure = LoginFailure(username=_key(username), count=0)
        db.session.add(failure)
    elif _expired(failure):
        failure.count = 0
    failure.count += 1
    failure.last_at = utcnow()
    db.session.commit()


def clear_failures(username: str) -> None:
    failure = db.session.get(LoginFailure, _key(username))
    if failure is not None:
        db.session.delete(failure)


def _expired(failure: LoginFailure) -> bool:
    window = current_app.config["LOGIN_FAILURE_WINDOW"] + current_app.config["LOGIN_MAX_DELAY"]
    return utcnow() - failure.last_at > window


def _key(username: str) -> str:
    return username.strip().lower()[:64]
