"""Every error answers in kind: JSON for the API, a page for people, never a stack trace."""

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db

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
    500: _l("Something went wrong on our side. Nothing you saved is lost."),
}


CSRF_MESSAGE = _l("The form expired or was not sent from this site. Please reload the page and try again.")


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


def checked_text(value, limit: int, too_long_message: str, field: str) -> str:
    """Free text from a form or JSON, trimmed; longer than `limit` is refused with 422."""
    text = (value or "").strip()
    if len(text) > limit:
        raise Refused(422, too_long_message, field=field)
    return text


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.headers.get("HX-Request")


def error_response(status: int, message: str, **details):
    if wants_json():
        return jsonify({"error": str(message), **details}), status
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(Refused)
    def _refused(error: Refused):
        db.session.rollback()
        return error_response(error.status, error.message, **error.details)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return error_response(400, CSRF_MESSAGE, code="csrf")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        return error_response(status, MESSAGES.get(status, error.description))

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        db.session.rollback()
        return error_response(500, MESSAGES[500])
