"""Every error answers in kind: JSON for the API, a page for people, never a stack trace."""

import errno
from dataclasses import dataclass

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.extensions import db, login_manager
from app.services.refusals import Refused, error_json

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in first."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with the current state."),
    413: _l("The upload is too large."),
    422: _l("The data could not be accepted."),
    429: _l("Too many attempts. Please wait and try again."),
    500: _l("Something went wrong on our side, and this request was not completed. Please try again."),
    503: _l("The database cannot be reached right now, so this was not done. Please try again in a minute."),
    507: _l("The server's storage is full, so this was not saved. Please tell an administrator."),
}
RETRY_AFTER_SECONDS = 30
BUSY_RETRY_AFTER_SECONDS = 5
DISK_FULL_SQLSTATE = "53100"
# PostgreSQL's words for "another transaction holds what this one waits for": a lock not granted
# in time, a serialization failure, a deadlock broken by the server.
BUSY_SQLSTATES = ("55P03", "40001", "40P01")
BUSY_MESSAGE = _l(
    "The server is busy with other changes, so this was not saved. It will be tried again shortly."
)
STORAGE_UNWRITABLE_MESSAGE = _l(
    "The server cannot write files right now, so this was not saved. Please tell an administrator."
)


CSRF_MESSAGE = _l("The form expired or was not sent from this site. Please reload the page and try again.")


def sent_by_htmx() -> bool:
    """htmx sent the request: a swap or a history restore (app.web.requests.is_htmx tells the two apart)."""
    return request.headers.get("HX-Request") == "true"


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not sent_by_htmx()


def error_response(status: int, message: str, **details):
    if wants_json():
        return jsonify(error_json(message, **details)), status
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(Refused)
    def _refused(error: Refused):
        db.session.rollback()
        response = make_response(error_response(error.status, error.message, **error.details))
        if error.status == 503:
            response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return error_response(400, CSRF_MESSAGE, code="csrf")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        return error_response(status, MESSAGES.get(status, error.description))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_error(error: SQLAlchemyError):
        """The database is down, restarting, busy or full: nothing of this request was kept."""
        app.logger.error("database unavailable: %s", error)
        _forget_the_session()
        failure = database_failure(error)
        response = make_response(error_response(failure.status, failure.message, **failure.details))
        if failure.retry_after:
            response.headers["Retry-After"] = str(failure.retry_after)
        return response

    @app.errorhandler(OSError)
    def _os_error(error: OSError):
        if _is_storage_full(error):
            app.logger.error("storage full: %s", error)
            db.session.rollback()
            return error_response(507, MESSAGES[507])
        if _is_storage_unwritable(error):
            app.logger.error("storage not writable: %s", error)
            db.session.rollback()
            return error_response(503, STORAGE_UNWRITABLE_MESSAGE)
        return _unexpected_error(error)

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        db.session.rollback()
        return error_response(500, MESSAGES[500])


@dataclass(frozen=True)
class DatabaseFailure:
    status: int
    message: str
    details: dict
    retry_after: int | None


def database_failure(error: SQLAlchemyError) -> DatabaseFailure:
    """How to answer a database that failed: full (507), busy with other writers (503, try again
    soon) or down (503, try again in a while). None of them saves anything."""
    if _is_storage_full(error):
        return DatabaseFailure(507, MESSAGES[507], {}, None)
    if _is_busy(error):
        return DatabaseFailure(503, BUSY_MESSAGE, {"code": "busy"}, BUSY_RETRY_AFTER_SECONDS)
    return DatabaseFailure(503, MESSAGES[503], {}, RETRY_AFTER_SECONDS)


def _is_busy(error: SQLAlchemyError) -> bool:
    """The database answered, but another writer held the lock for longer than this one waits."""
    driver_error = getattr(error, "orig", None)
    busy_state = getattr(driver_error, "sqlstate", None) in BUSY_SQLSTATES
    return busy_state or "database is locked" in str(driver_error)


def _is_storage_unwritable(error: OSError) -> bool:
    """A read-only or wrongly owned upload folder: nothing can be kept until an administrator acts."""
    return error.errno in (errno.EACCES, errno.EPERM, errno.EROFS)


def _is_storage_full(error: Exception) -> bool:
    """ENOSPC or a quota from the file system, or the database saying its disk is full."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    driver_error = getattr(error, "orig", None)
    disk_full = getattr(driver_error, "sqlstate", None) == DISK_FULL_SQLSTATE
    return disk_full or "disk is full" in str(driver_error)


def _forget_the_session() -> None:
    """Drop the failed transaction and answer as nobody, so the error page needs no database."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.invalidate()
    g._login_user = login_manager.anonymous_user()
