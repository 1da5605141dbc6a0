"""A shared report, opened by its token alone: the report, its PDF and its evidence photos, read only."""

from flask import render_template, url_for
from flask_babel import format_date

from app.services import shares
from app.services.reports import document
from app.share import bp
from app.web.photo_files import send_photo_file
from app.web.report_files import send_report_pdf

PRIVATE = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


@bp.get("/<token>")
def report(token: str):
    """The official report of the shared assessment."""
    link = shares.usable(token)
    shares.record_use(link, "report")
    page = render_template(
        "share/report.html",
        link=link,
        token=token,
        report=document.build(link.assessment),
        photo_src=lambda photo: url_for("share.photo", token=token, photo_id=photo.id),
    )
    return page, PRIVATE


@bp.get("/<token>.pdf")
def report_pdf(token: str):
    """The shared report as a PDF download, or a page saying it is being prepared."""
    link = shares.usable(token)
    shares.record_use(link, "pdf")
    assessment = link.assessment
    day = format_date(assessment.finalized_at, "yyyyMMdd")
    filename = f"report-{assessment.station.code}-{day}.pdf"
    return send_report_pdf(assessment, False, filename, PRIVATE, f"share-{link.id}")


@bp.get("/<token>/photos/<int:photo_id>")
def photo(token: str, photo_id: int):
    """An evidence photo of the shared assessment, and of no other."""
    link = shares.usable(token)
    photo = shares.shared_photo(link, photo_id)
    shares.record_use(link, "photo", photo_id=photo.id)
    response = send_photo_file(photo, photo.sha256)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
