"""WeasyPrint drawing a report's finished HTML into a PDF, with the Noto CJK fonts and photos read
from the upload folder only; run as its own process by `pdf.py`:

    python -m app.services.reports.drawing SOURCE.html TARGET.pdf UPLOAD_DIR [REPORT FD...]

With REPORT (the queue's name of the report, see pdf.py) the child draws that report's job when
its turn comes, the newest version asked for, which may be newer than TARGET; until then it holds
the descriptors FD (the report's waiting lock, the reader's slot), then lets them go.

A fresh interpreter (never a fork of a threaded worker, whose locks a child can inherit held)
that lowers its own CPU priority and waits for the server's one drawing slot before it draws, so
the walk's requests get the cores first. It touches neither the database nor a request; the
signing credentials come in its environment (signing.py).
"""

import fcntl
import json
import os
import re
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from PIL import ImageFile
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.services import evidence
from app.services.reports import signing

UPLOAD_SCHEME = "upload:"
SHA256 = re.compile(r"[0-9a-f]{64}")
# How much lower than the walk a drawing runs: the kernel gives the walk's requests the CPU first.
NICENESS = 10
SLOT = ".drawing.lock"

# Importing WeasyPrint makes Pillow accept truncated images in the whole process; the photo
# pipeline must go on refusing them (a half-uploaded photo is not evidence).
ImageFile.LOAD_TRUNCATED_IMAGES = False


class NotFetched(ValueError):
    """WeasyPrint asked for something outside the upload folder; it is left out of the PDF."""


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


def lay_out(html: str, upload_dir: str) -> Document:
    return HTML(string=html, base_url=UPLOAD_SCHEME, url_fetcher=StoreFetcher(upload_dir)).render()


def pdf_of(html: str, upload_dir: str, credentials: signing.Credentials | None) -> bytes:
    """The PDF of the report's HTML, signed with `credentials` when there are any."""
    drawn = lay_out(html, upload_dir).write_pdf()
    return drawn if credentials is None else signing.sign(drawn, credentials)


@contextmanager
def drawing_slot(folder: Path):
    """The one slot for drawing in this upload folder (a lock on a file, shared by every worker and
    server): drawings take turns rather than share the cores with each other and the walk."""
    with open(folder / SLOT, "a") as slot:
        fcntl.flock(slot, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(slot, fcntl.LOCK_UN)


def draw(source: Path, target: Path, upload_dir: str) -> None:
    """Draw `source` into `target` through a rename, so a reader never sees half a PDF."""
    os.setpriority(os.PRIO_PROCESS, 0, max(os.getpriority(os.PRIO_PROCESS, 0), NICENESS))
    with drawing_slot(target.parent):
        drawn = pdf_of(source.read_text(encoding="utf-8"), upload_dir, signing.from_environment())
        evidence.write_atomically(target, drawn)


def draw_job(report: Path, reports: Path, upload_dir: str, held: list[int]) -> None:
    """When the slot is free, draw the report's newest job; the waiting locks go once it is taken,
    and the version's lock is held while it is drawn."""
    os.setpriority(os.PRIO_PROCESS, 0, max(os.getpriority(os.PRIO_PROCESS, 0), NICENESS))
    with drawing_slot(reports):
        with open(report.with_suffix(".mutex"), "a") as mutex:
            fcntl.flock(mutex, fcntl.LOCK_EX)
            try:
                job = json.loads(report.with_suffix(".job").read_text())
            except (FileNotFoundError, ValueError):
                job = {}
            if job:
                source, target = Path(job["source"]), Path(job["target"])
                lock = os.open(target.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(lock, fcntl.LOCK_EX)
            for descriptor in held:
                os.close(descriptor)
        if not job:
            return
        try:
            if not target.is_file():
                drawn = pdf_of(source.read_text(encoding="utf-8"), upload_dir, signing.from_environment())
                evidence.write_atomically(target, drawn)
        finally:
            source.unlink(missing_ok=True)
            os.close(lock)


def main(source: str, target: str, upload_dir: str, report: str | None = None, *held: str) -> int:
    try:
        if report is None:
            draw(Path(source), Path(target), upload_dir)
        else:
            draw_job(Path(report), Path(target).parent, upload_dir, [int(fd) for fd in held])
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        if report is None:
            Path(source).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
