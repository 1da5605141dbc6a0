"""The report as a PDF, drawn by WeasyPrint with the Noto CJK fonts; files are read from disk only.

A finalized assessment's PDF is drawn once per version and kept under UPLOAD_DIR/reports: a
version changes with every audited change to the assessment (reopen, sign-off, rectification)
and with the names the report prints, so a kept file is never stale. Photos go in scaled for
print, not at the stored screen size.
"""

import fcntl
import hashlib
import json
import re
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

# Importing WeasyPrint makes Pillow accept truncated images in the whole process; the photo
# pipeline must go on refusing them (a half-uploaded photo is not evidence).
ImageFile.LOAD_TRUNCATED_IMAGES = False


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
    return render_document(report, **context).write_pdf()


def render_document(report, **context) -> Document:
    """The report laid out on A4 pages by WeasyPrint, before it is written as a PDF."""
    html = render_template(
        "reports/pdf.html",
        report=report,
        css=CSS_PATH.read_text(encoding="utf-8"),
        photo_src=photo_src,
        **context,
    )
    return HTML(
        string=html, base_url=UPLOAD_SCHEME, url_fetcher=StoreFetcher(current_app.config["UPLOAD_DIR"])
    ).render()


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
        db.select(db.func.max(AuditEvent.id)).where(AuditEvent.assessment_id == assessment.id)
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
