"""The report as a PDF, drawn by WeasyPrint with the Noto CJK fonts; files are read from disk only."""

import re

from flask import current_app, render_template
from PIL import ImageFile
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app import evidence
from app.services.reports.layout import CSS_PATH

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
