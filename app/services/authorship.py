"""Proof of who made an outbox entry: a token the server signs for an assessor when it serves them a page.

The phone keeps the token of the user who was logged in with each entry it queues. An exported
file's `exported_by` is only a name anyone can type; the token is what credits an assessor.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.models import User, is_row_id
from app.services.refusals import Refused

SALT = "outbox-author"
# An entry may wait on a phone for a long time: a token proves authorship for this long after its page.
MAX_AGE = timedelta(days=60)


def token_for(user: User) -> str:
    return _serializer().dumps(user.id)


def user_id_from(token) -> int | None:
    """The id the token was signed for, or None if it is missing, forged or too old."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    try:
        user_id = _serializer().loads(token, max_age=MAX_AGE.total_seconds())
    except BadSignature:
        return None
    return user_id if is_row_id(user_id) else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def ensure_author(claimed, user: User) -> None:
    """A change kept on a shared phone is applied only under the session of the user who made it."""
    if claimed in (None, ""):
        return
    if str(claimed) != str(user.id):
        raise Refused(
            409,
            _l("This change was made by another user on this phone: it waits for them to log in."),
            code="author",
        )
