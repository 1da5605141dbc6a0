"""Refusals a service raises: a status and a message meant for the client, answered by the web layer."""

import re

from flask_babel import lazy_gettext as _l

# PostgreSQL cannot store a NUL in text, and no database (nor UTF-8) can hold half a surrogate pair.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = _l(
    "The request holds a character that cannot be stored (a NUL character or half of a surrogate pair). "
    "Please remove it and try again."
)


class ImportFileError(Exception):
    """An uploaded file as a whole cannot be read; the message says why, for the person who chose it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class Refused(Exception):
    """An error with a message meant for the client, answered as JSON or a page."""

    def __init__(self, status: int, message: str, **details):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def wrong_type(name: str) -> Refused:
    return Refused(422, _l("The field %(name)s has the wrong type.", name=name), field=name)


def typed_field(mapping: dict, name: str, kind: type, default=None):
    """`mapping[name]` of a parsed JSON object when it is a `kind`; missing or null gives `default`,
    any other type is refused (422)."""
    value = mapping.get(name)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise wrong_type(name)
    return value


def checked_text(value, limit: int, too_long_message: str, field: str) -> str:
    """Free text from a form or JSON, trimmed; longer than `limit` is refused with 422."""
    text = (value or "").strip()
    if len(text) > limit:
        raise Refused(422, too_long_message, field=field)
    return text


def error_json(message: str, **details) -> dict:
    """The JSON body of a refusal, as every route answers it."""
    return {"error": str(message), **details}


def holds_unstorable_text(value) -> bool:
    """Whether a string, or any key or string inside parsed JSON (lists and dicts at any depth),
    has a NUL or a lone surrogate. Walked without recursion: JSON may be nested deep."""
    waiting = [value]
    while waiting:
        value = waiting.pop()
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                return True
        elif isinstance(value, dict):
            waiting.extend(value.keys())
            waiting.extend(value.values())
        elif isinstance(value, (list, tuple)):
            waiting.extend(value)
    return False


def unstorable_text() -> Refused:
    return Refused(400, UNSTORABLE_MESSAGE, code="unstorable_text")
