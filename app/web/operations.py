"""Running the app: health checks for the load balancer and one log line per request."""

import logging
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from flask import Flask, current_app, g, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

REQUEST_ID_HEADER = "X-Request-ID"
# A request id handed on by the proxy is kept when it looks like one; anything else is replaced.
FORWARDED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

request_log = logging.getLogger("app.requests")
# A share link's token is a key to a report: a path under /shared/ is logged without it.
SHARE_TOKEN = re.compile(r"^/shared/[^/]+?(?=\.pdf$|/|$)")
# A logged path is the path as sent on the wire: percent-encoded, so no line break, control
# character or Unicode line separator in it can start a forged log line.
LOGGED_AS_IS = "/:@!$&'()*+,;=-._~[]"


def database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        db.session.rollback()
        return False


def upload_folder_writable() -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=current_app.config["UPLOAD_DIR"], prefix=".health-"):
            return True
    except OSError:
        return False


def has_room(folder) -> bool:
    """At least HEALTH_MIN_FREE_MB free where `folder` lives: a full disk fails every save. A folder
    that cannot be looked at is not counted here: the check that writes to it says so."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return True
    return free >= current_app.config["HEALTH_MIN_FREE_MB"] * 1024 * 1024


def upload_disk_has_room() -> bool:
    return has_room(current_app.config["UPLOAD_DIR"])


def database_disk_has_room() -> bool:
    """SQLite keeps the database in a file on this machine; a server database watches its own disk."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    return has_room(Path(url.database).resolve().parent)


HEALTH_CHECKS = {
    "database": database_answers,
    "uploads": upload_folder_writable,
    "upload_disk": upload_disk_has_room,
    "database_disk": database_disk_has_room,
}


def failed_health_checks() -> list[str]:
    return [name for name, check in HEALTH_CHECKS.items() if not check()]


def start_request() -> None:
    g.request_started = time.perf_counter()
    forwarded = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = forwarded if FORWARDED_REQUEST_ID.fullmatch(forwarded) else uuid.uuid4().hex


def log_request(response):
    """One line per request: id, method, path, status, user id (when loaded, no query), duration.
    Never a token: the session's is in a cookie, a share link's is taken out of the path."""
    response.headers[REQUEST_ID_HEADER] = g.request_id
    if request.endpoint == "ops.healthz" and response.status_code == 200:
        return response
    request_log.info(
        "request_id=%s method=%s path=%s status=%s user=%s ms=%.1f",
        g.request_id,
        quote(request.method, safe=""),
        logged_path(),
        response.status_code,
        _user_id(),
        (time.perf_counter() - g.request_started) * 1000,
    )
    return response


def logged_path() -> str:
    """The request's path, percent-encoded and without a share token."""
    return quote(SHARE_TOKEN.sub("/shared/[token]", request.path), safe=LOGGED_AS_IS)


def _user_id() -> str:
    """The user the request was served as, when it was loaded; the cookie holds a secret session
    token, which never goes into a log."""
    user = g.get("_login_user")
    return str(user.id) if user is not None and user.is_authenticated else "-"


def configure_request_log() -> None:
    """Request lines go to stderr (gunicorn's error log, journald, docker logs) unless set up already."""
    if not request_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        request_log.addHandler(handler)
    if request_log.level == logging.NOTSET:
        request_log.setLevel(logging.INFO)


def register(app: Flask) -> None:
    configure_request_log()
    app.before_request(start_request)
    app.after_request(log_request)
