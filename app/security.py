"""Headers, cookies and database settings every response and connection gets."""

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from sqlalchemy.engine import Engine


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


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", current_app.extensions["content_security_policy"])
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def register(app: Flask) -> None:
    app.session_interface = HttpsAwareSessionInterface()
    app.extensions["content_security_policy"] = content_security_policy(
        app.extensions.get("inline_script_hashes", ())
    )
    app.after_request(add_security_headers)


def enable_sqlite_wal(engine: Engine) -> None:
    """SQLite in WAL mode lets readers and a writer work at once; foreign keys are off by default."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _is_memory(engine: Engine) -> bool:
    return engine.url.database in (None, "", ":memory:")
