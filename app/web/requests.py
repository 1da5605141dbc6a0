"""What every blueprint needs from a request: htmx swaps, the safe next URL, JSON bodies, retries."""

import re
from urllib.parse import urlsplit

from flask import jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.errors import Refused, sent_by_htmx
from app.idempotency import apply_once, parse_mutation_id, route_fingerprint

# Browsers drop tabs and newlines anywhere in a URL and C0 controls at its ends: "/\t/evil" is "//evil".
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_JSON_DEPTH = 16
VARY_ON_HTMX = {"Vary": "HX-Request"}
NOT_A_JSON_OBJECT = _l("Send a JSON object with Content-Type: application/json.")


def is_htmx() -> bool:
    """An htmx swap asks for the fragment; a history restore wants the whole page."""
    return sent_by_htmx() and not request.headers.get("HX-History-Restore-Request")


def render_swap(page_template: str, partial_template: str, status: int = 200, **context):
    """The whole page, or for an htmx swap only the part the page includes; caches keep both apart."""
    template = partial_template if is_htmx() else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def safe_next(default: str) -> str:
    """The request's `next` (query or form) if it stays on this site, else `default`."""
    return checked_next(request.values.get("next"), default)


def checked_next(target: str | None, default: str) -> str:
    """`target` without control characters when it is a path on this site, else `default`."""
    cleaned = CONTROL_CHARACTERS.sub("", target or "").strip()
    if not cleaned.startswith("/") or cleaned[1:2] in ("/", "\\") or "\\" in cleaned:
        return default
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return default
    return cleaned


def json_body(*, optional: bool = False) -> dict:
    """The request's JSON object; anything else (or nothing, unless `optional`) is refused with 400."""
    if optional and not request.get_data(cache=True):
        return {}
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict) or _depth(body) > MAX_JSON_DEPTH:
        raise Refused(400, NOT_A_JSON_OBJECT)
    return body


def _depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        children = current.values() if isinstance(current, dict) else current
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def answer_once(mutation_id, payload: dict, apply, lock=None):
    """Run apply() -> (body, status) once per mutation_id and path; a retry gets the stored reply.

    `lock` is the assessment the change is to, locked before the stored reply is looked up.
    """
    print_ = route_fingerprint(request.endpoint, payload, **request.view_args)
    body, status = apply_once(parse_mutation_id(mutation_id), current_user, print_, apply, lock=lock)
    return jsonify(body), status
