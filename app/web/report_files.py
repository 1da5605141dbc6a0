"""Sending a report's kept PDF, or the page saying it is being prepared, for the report pages and
shared reports alike."""

from pathlib import Path

from flask import render_template, send_file

from app.services import verification
from app.services.reports import pdf
from app.web.security import content_disposition


def send_report_pdf(assessment, with_rectification: bool, filename: str, headers: dict, reader: str):
    """The kept PDF as a download; while it is being drawn, a 202 page with Retry-After and a
    Refresh, so the browser asks again by itself and the PDF downloads once it is ready. `reader`
    names who asks (a user, a share link): the drawings one reader starts are bounded."""
    try:
        kept = pdf.report_pdf(assessment, with_rectification, reader)
        verification.record_drawn(kept)  # the SHA-256 of the PDF as issued, for the 核验 page
        return _send(kept, filename, headers)
    except pdf.Preparing as preparing:
        return preparing_page(preparing.retry_after, headers)
    except FileNotFoundError:
        # A change superseded this version and `prune` removed it in between: ask again.
        return preparing_page(pdf.RETRY_AFTER_SECONDS, headers)


def preparing_page(seconds: int, headers: dict):
    page = render_template("reports/preparing.html", seconds=seconds)
    retry = {"Retry-After": str(seconds), "Refresh": str(seconds)}
    return page, 202, {**headers, **retry, "Cache-Control": "private, no-store"}


def _send(kept: Path, filename: str, headers: dict):
    response = send_file(kept, mimetype="application/pdf", conditional=False, etag=False)
    response.headers.update({**headers, "Content-Disposition": content_disposition(filename)})
    return response
