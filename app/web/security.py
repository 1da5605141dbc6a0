"""Headers, cookies and database settings every response and connection gets."""

import hashlib
import hmac
import json
import re
from urllib.parse import quote

from flask import Flask, current_app, g, request, session
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from app.models import MAX_ID
from app.services import authorship
from app.services.refusals import holds_unstorable_text, unstorable_text


def content_security_policy(inline_script_hashes=()) -> str:
    """The policy; the one inline script allowed (the import map) is named by its hash."""
    script_sources = " ".join(["'self'", *(f"'sha256-{digest}'" for digest in inline_script_hashes)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script_sources}",
            "style-src 'self'",
            "img-src 'self' blob: data:",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), microphone=()",
}


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


class RowIdConverter(IntegerConverter):
    """`<int:…>` in every URL: a number too large to be an id matches no route, so it is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class BoundedJSONProvider(DefaultJSONProvider):
    """A body nested too deeply to parse is bad JSON (400), not a crash of the parser."""

    def loads(self, s, **kwargs):
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266: an ASCII `filename` for old clients and the exact name as UTF-8 in `filename*`."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", filename)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def fresh_session() -> None:
    """Empties the cookie session, its CSRF token included, at login and logout: a token read
    before (by the last user of a shared phone, or a page open before the login) stops working."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def offline_owner() -> str:
    """Whose offline copies a page belongs to, for the service worker: a keyed hash of the user's
    id, or "none" when nobody is logged in. The worker drops its copies when this changes."""
    if not current_user.is_authenticated:
        return "none"
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"offline-owner:{current_user.id}".encode(), hashlib.sha256).hexdigest()[:32]


def add_offline_owner(response):
    if response.mimetype == "text/html":
        response.headers["X-Offline-Owner"] = offline_owner()
    return response


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", current_app.extensions["content_security_policy"])
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def refuse_unstorable_text() -> None:
    """One clear 400 for a NUL or a lone surrogate anywhere a route reads text: the path, the
    query, the form (names, values and file names) and the strings of a JSON body. Checked once
    here instead of route by route, so no route meets them (PostgreSQL refuses a NUL, UTF-8 a
    lone surrogate: both were 500s)."""
    texts = [request.path, list(request.args.items(multi=True))]
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        texts.append(list(request.form.items(multi=True)))
        texts.append([(name, upload.filename or "") for name, upload in request.files.items(multi=True)])
    if request.is_json:
        texts.append(request.get_json(silent=True))
    if holds_unstorable_text(texts):
        raise unstorable_text()


def register_request_parsing(app: Flask) -> None:
    """Before the blueprints: their routes take the bounded id converter, and their requests
    hold no text a database cannot store."""
    app.url_map.converters["int"] = RowIdConverter
    app.json = BoundedJSONProvider(app)
    app.before_request(refuse_unstorable_text)


def register(app: Flask) -> None:
    app.session_interface = HttpsAwareSessionInterface()
    app.extensions["content_security_policy"] = content_security_policy(
        app.extensions.get("inline_script_hashes", ())
    )
    app.after_request(add_security_headers)
    app.after_request(add_offline_owner)


def outbox_author_token() -> str:
    """For the page's <meta name="outbox-author">: the phone stores it with each entry it queues."""
    return authorship.token_for(current_user)


def enable_sqlite_wal(engine: Engine, busy_timeout_seconds: float) -> None:
    """SQLite in WAL mode lets readers and a writer work at once; foreign keys are off by default.

    A writer waits up to `busy_timeout_seconds` for the one write lock: long enough for a team's
    burst of changes to take turns (each holds it for milliseconds), short of the worker timeout."""
    if engine.dialect.name != "sqlite":
        return
    busy_timeout_ms = round(busy_timeout_seconds * 1000)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()


def _is_memory(engine: Engine) -> bool:
    return engine.url.database in (None, "", ":memory:")
