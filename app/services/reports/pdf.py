"""The report as a PDF, drawn by WeasyPrint with the Noto CJK fonts; files are read from disk only.

A finalized assessment's PDF is drawn once per version and kept under UPLOAD_DIR/reports: a
version changes with every audited change to the assessment (reopen, sign-off, rectification)
and with the names the report prints, so a kept file is never stale. Photos go in scaled for
print, not at the stored screen size.
"""

import fcntl
import hashlib
import json
import os
import re
import tempfile
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from PIL import ImageFile
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app import evidence
from app.errors import Refused
from app.extensions import db
from app.models import Assessment, AuditEvent
from app.services.reports import document
from app.services.reports.layout import CSS_PATH

BUSY_MESSAGE = _l("Another report is being drawn right now. Please try again in a few seconds.")
UPLOAD_SCHEME = "upload:"
SHA256 = re.compile(r"[0-9a-f]{64}")
# How much lower than the walk a drawing runs: the kernel gives the walk's requests the CPU first.
DRAWING_NICENESS = 10
# Audit events that change nothing the report prints: opening a share link must not redraw it.
NOT_PRINTED = "share."

# Importing WeasyPrint makes Pillow accept truncated images in the whole process; the photo
# pipeline must go on refusing them (a half-uploaded photo is not evidence).
ImageFile.LOAD_TRUNCATED_IMAGES = False


class DrawingFailed(RuntimeError):
    """The child process drawing a PDF ended without one; its traceback went to the error log."""


class NotFetched(ValueError):
    """WeasyPrint asked for something outside the upload folder; it is left out of the PDF."""


def photo_src(photo) -> str:
    return f"{UPLOAD_SCHEME}{photo.sha256}"


class StoreFetcher(URLFetcher):
    """Photos come from the content-addressed store, scaled for print, data: URLs are decoded;
    nothing goes to the network."""

    def __init__(self, upload_dir: str):
        super().__init__(allowed_protocols=("data",))
        self.upload_dir = upload_dir

    def fetch(self, url, headers=None):
        if url.startswith(UPLOAD_SCHEME):
            sha = url[len(UPLOAD_SCHEME) :]
            path = evidence.path_for(self.upload_dir, sha)
            if not SHA256.fullmatch(sha) or not path.is_file():
                raise NotFetched(url)
            return URLFetcherResponse(
                url, evidence.print_copy(path.read_bytes()), {"Content-Type": "image/jpeg"}
            )
        return super().fetch(url, headers)


def render_pdf(report, **context) -> bytes:
    """The report's HTML is written here (it reads the database); WeasyPrint draws it aside."""
    html = report_html(report, **context)
    upload_dir = current_app.config["UPLOAD_DIR"]
    return drawn_aside(lambda: lay_out(html, upload_dir).write_pdf())


def render_document(report, **context) -> Document:
    """The report laid out on A4 pages by WeasyPrint, before it is written as a PDF."""
    return lay_out(report_html(report, **context), current_app.config["UPLOAD_DIR"])


def report_html(report, **context) -> str:
    return render_template(
        "reports/pdf.html",
        report=report,
        css=CSS_PATH.read_text(encoding="utf-8"),
        photo_src=photo_src,
        **context,
    )


def lay_out(html: str, upload_dir: str) -> Document:
    return HTML(string=html, base_url=UPLOAD_SCHEME, url_fetcher=StoreFetcher(upload_dir)).render()


def drawn_aside(draw: Callable[[], bytes]) -> bytes:
    """What `draw` returns, computed in a forked child process at a lower CPU priority.

    Drawing a PDF holds the interpreter lock and a core for seconds. In a child, the worker's
    other threads go on answering the walk while this one only waits, and the niceness makes the
    kernel run the walk first when the cores are busy. The child touches neither the database nor
    the request: it gets finished HTML and reads photos from the store.
    """
    with tempfile.TemporaryFile() as drawn:
        child = os.fork()
        if child == 0:
            _draw_in_child(draw, drawn)
        _, status = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise DrawingFailed(f"the PDF drawing process ended with status {status}")
        drawn.seek(0)
        return drawn.read()


def _draw_in_child(draw: Callable[[], bytes], into) -> None:
    """Runs in the forked child only, and never returns: the child must not run the parent's
    cleanup (atexit handlers, open database connections, a test runner's teardown)."""
    code = 1
    try:
        os.nice(DRAWING_NICENESS)
        into.write(draw())
        into.flush()
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def report_pdf(assessment: Assessment, with_rectification: bool) -> bytes:
    """The PDF of the assessment's current version: kept once drawn while it is finalized.

    One PDF is drawn at a time per server: drawing takes seconds of a worker, and a download
    that finds another one being drawn is answered 503 with Retry-After instead of waiting, so
    report downloads never take every worker from the walk.
    """
    reports = Path(current_app.config["UPLOAD_DIR"]) / "reports"
    if not assessment.is_finalized:
        with drawing_slot(reports):
            return _draw(assessment, with_rectification)
    kept = reports / f"{version(assessment, with_rectification)}.pdf"
    if kept.is_file():
        return kept.read_bytes()
    with drawing_slot(reports):
        if not kept.is_file():
            evidence.write_atomically(kept, _draw(assessment, with_rectification))
    return kept.read_bytes()


@contextmanager
def drawing_slot(reports: Path):
    """The server's one slot for drawing a PDF (a lock on a file, shared by every worker)."""
    reports.mkdir(parents=True, exist_ok=True)
    with open(reports / ".drawing.lock", "a") as slot:
        try:
            fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refused(503, BUSY_MESSAGE) from None
        try:
            yield
        finally:
            fcntl.flock(slot, fcntl.LOCK_UN)


def _draw(assessment: Assessment, with_rectification: bool) -> bytes:
    report = document.build(assessment, with_rectification)
    return render_pdf(report, with_rectification=with_rectification)


def version(assessment: Assessment, with_rectification: bool) -> str:
    """Everything the printed report depends on that can change after finalize, as one hash."""
    last_change = db.session.scalar(
        db.select(db.func.max(AuditEvent.id)).where(
            AuditEvent.assessment_id == assessment.id, AuditEvent.action.not_like(f"{NOT_PRINTED}%")
        )
    )
    station = assessment.station
    parts = {
        "assessment": assessment.id,
        "last_change": last_change,
        "rectification": with_rectification,
        "locale": str(get_locale()),
        "station": [station.code, station.name, station.address, station.contact],
        "people": [user.name for user in [assessment.lead_assessor, *assessment.team] if user is not None],
    }
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
