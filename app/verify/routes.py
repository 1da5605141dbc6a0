"""核验, for anyone holding a report: the public page a PDF's code and QR code open, with no login.

Every lookup counts towards its client's limit (verification.seconds_to_wait); the check of an
uploaded PDF changes nothing, so it needs no CSRF token.
"""

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from app.extensions import csrf
from app.services import verification
from app.verify import bp

PUBLIC = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
NO_FILE = _l("Choose the PDF file to check.")
NOT_A_PDF = _l("This file is not a PDF. Choose the report's PDF file.")


@bp.get("/")
def start():
    """Type the code printed on a report; a typed code goes to its page."""
    if wait := _throttled():
        return wait
    typed = request.args.get("code", "").strip()
    if typed:
        return redirect(url_for("verify.page", code=typed))
    return render_template("verify/start.html"), PUBLIC


@bp.get("/<code>")
def page(code: str):
    """What was issued under the code, and a form to check a PDF against it."""
    if wait := _throttled():
        return wait
    return _answer(code)


@bp.post("/<code>")
@csrf.exempt
def check(code: str):
    """Whether the uploaded PDF is, byte for byte, the one issued under the code."""
    if wait := _throttled():
        return wait
    upload = request.files.get("pdf")
    data = upload.read() if upload else b""
    if not data:
        return _answer(code, problem=NO_FILE)
    if not data.startswith(b"%PDF-"):
        return _answer(code, problem=NOT_A_PDF)
    return _answer(code, uploaded=upload.filename or "", data=data)


def _answer(code: str, problem: str | None = None, uploaded: str | None = None, data: bytes = b""):
    row = verification.find(code)
    if row is None:
        return render_template("verify/unknown.html", code=code), 404, PUBLIC
    status = 422 if problem else 200
    page = render_template(
        "verify/page.html",
        row=row,
        record=row.record,
        grouped=verification.grouped(row.code),
        status=verification.status(row),
        sha256=verification.issued_sha256(row),
        problem=problem,
        uploaded=uploaded,
        matches=verification.is_issued(row, data) if uploaded is not None else None,
    )
    return page, status, PUBLIC


def _throttled():
    seconds = verification.seconds_to_wait(request.remote_addr)
    if not seconds:
        return None
    page = render_template("verify/too_many.html", seconds=seconds)
    return page, 429, {**PUBLIC, "Retry-After": str(seconds)}
