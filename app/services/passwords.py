"""Which passwords are accepted, and checking one in the same time whether or not the user exists."""

import functools
from pathlib import Path

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import User
from app.services import audit, sessions

MIN_LENGTH = 8
MAX_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).parent / "common_passwords.txt"


def problem(password: str, username: str = "") -> str | None:
    """Why this password is refused, in words for the person choosing it; None if it is fine."""
    if not password.strip():
        return _l("The password cannot be only spaces.")
    if len(password) < MIN_LENGTH:
        return _l("The password needs at least %(min)d characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("The password can have at most %(max)d characters.", max=MAX_LENGTH)
    folded = _fold(password)
    if folded in _common_passwords() or len(set(folded)) <= 2:
        return _l("This password is too common and easy to guess. Choose another one.")
    if _like_username(folded, _fold(username)):
        return _l("The password must not be or contain the username.")
    return None


def verify(user: User | None, password: str) -> bool:
    """The password is the user's; an unknown user costs a hash check as well, so timing tells nothing."""
    if user is None:
        check_password_hash(_dummy_hash(User.password_method), password)
        return False
    return user.check_password(password)


def _like_username(password: str, username: str) -> bool:
    if len(username) < 3:
        return False
    return username in password or password in username or password == username[::-1]


def _fold(text: str) -> str:
    return "".join(text.split()).lower()


@functools.cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not anyone's password", method=method)


def change_own(user: User, password: str) -> None:
    """A new password ends every other session of the user; this device stays logged in."""
    user.set_password(password)
    sessions.end_all(user, keep=user.session_token)
    audit.record("user.password_change", subject=user.username, user=user)
