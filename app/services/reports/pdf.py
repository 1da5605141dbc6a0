"""The report as a PDF, drawn off the request path and kept once per version under UPLOAD_DIR/reports.

A version changes with every audited change to the assessment (finalize, reopen, sign-off,
rectification; not the opening of a share link) and with the names the report prints, so a kept
file is never stale. A finalized report is drawn as soon as its new version is committed
(`draw_new_versions`, at the end of that request), in a spawned child process (`drawing.py`), so
its download usually finds the file kept. A download that arrives while it is drawn waits a
bounded time (REPORT_PDF_WAIT), then is told that the PDF is being prepared (`Preparing`).
Files of versions no reader can be sent any more are removed by `prune` (`flask reports prune`).
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from sqlalchemy import event

from app.extensions import db
from app.models import Assessment, AuditEvent
from app.services import frozen
from app.services.reports import document, drawing
from app.services.reports.drawing import UPLOAD_SCHEME
from app.services.reports.drawing import NotFetched as NotFetched
from app.services.reports.drawing import StoreFetcher as StoreFetcher
from app.services.reports.layout import CSS_PATH

ROOT = Path(__file__).resolve().parents[3]
CHILD = "app.services.reports.drawing"
# The child runs at a lower priority from its first instruction: importing WeasyPrint takes a core
# for a second, and three reports finalized at once would otherwise take it from the walk.
LOWER_PRIORITY = ("nice", "-n", str(drawing.NICENESS)) if shutil.which("nice") else ()
# Audit events that change nothing the report prints: opening a share link must not redraw it.
NOT_PRINTED = "share."
RETRY_AFTER_SECONDS = 5
POLL_SECONDS = 0.1
CHANGED = "report_versions_changed"
COMMITTED = "report_versions_committed"
# A kept file is named by its assessment and version: <assessment id>-<sha256 of the version>.
KEPT_NAME = re.compile(r"(\d+)-[0-9a-f]{64}")


class Preparing(Exception):
    """The PDF is being drawn and was not ready within the wait: ask the reader to come back."""

    retry_after = RETRY_AFTER_SECONDS


class DrawingFailed(RuntimeError):
    """The child process drawing a PDF ended without one; its traceback went to the error log."""


def photo_src(photo) -> str:
    return f"{UPLOAD_SCHEME}{photo.sha256}"


def report_pdf(assessment: Assessment, with_rectification: bool) -> Path:
    """The kept PDF of the assessment's current version, drawn first if need be (see the module)."""
    kept = kept_path(assessment, with_rectification)
    if kept.is_file():
        return kept
    prepare(assessment, with_rectification, kept)
    if not _drawn_within(kept, current_app.config["REPORT_PDF_WAIT"]):
        raise Preparing()
    return kept


def kept_path(assessment: Assessment, with_rectification: bool) -> Path:
    return _reports_folder() / f"{assessment.id}-{version(assessment, with_rectification)}.pdf"


def prune(older_than: timedelta) -> int:
    """Remove the kept files (PDF, its HTML source and lock) of versions no reader can be sent any
    more, once they are `older_than` old: every version but each assessment's current ones, in
    every language, with and without the rectification appendix. A file still being drawn stays;
    files of an assessment deleted since, or named the older way, go too. Answers how many went."""
    folder = _reports_folder()
    cutoff = time.time() - older_than.total_seconds()
    current = _current_stems(folder)
    removed = 0
    for path in folder.iterdir():
        if path.name == drawing.SLOT or path.stem in current or not _older(path, cutoff):
            continue
        lock = path.with_suffix(".lock")
        if lock.exists() and _being_drawn(lock):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.is_file() and path.stat().st_mtime <= cutoff
    except FileNotFoundError:
        return False


def _current_stems(folder: Path) -> set[str]:
    """The names (without suffix) of the current versions of every assessment with a kept file."""
    ids = {int(match[1]) for path in folder.iterdir() if (match := KEPT_NAME.fullmatch(path.stem))}
    stems = set()
    for assessment in db.session.scalars(db.select(Assessment).where(Assessment.id.in_(ids))):
        for language in current_app.config["LANGUAGES"]:
            with force_locale(language):
                stems.update(kept_path(assessment, rect).stem for rect in (False, True))
    return stems


def prepare(assessment: Assessment, with_rectification: bool, kept: Path) -> None:
    """Start drawing `kept` unless it is kept or being drawn already (by any worker or server).

    The version's lock is taken here and handed to the child, which holds it until it exits: a
    second download sees the drawing under way instead of starting another one.
    """
    lock = os.open(kept.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        if not kept.is_file():
            report = document.build(assessment, with_rectification)
            render_pdf(report, kept, lock, with_rectification=with_rectification)
    finally:
        os.close(lock)


def render_pdf(report, kept: Path, lock: int, **context) -> None:
    """The report's HTML is written here (it reads the database); a spawned child draws it."""
    source = kept.with_suffix(".html")
    source.write_text(report_html(report, **context), encoding="utf-8")
    upload_dir = str(Path(current_app.config["UPLOAD_DIR"]).resolve())
    child = subprocess.Popen(
        [*LOWER_PRIORITY, sys.executable, "-m", CHILD, str(source), str(kept), upload_dir],
        cwd=ROOT,
        pass_fds=(lock,),
        stdin=subprocess.DEVNULL,
    )
    threading.Thread(target=child.wait, name=f"pdf-{child.pid}", daemon=True).start()


def report_html(report, **context) -> str:
    return render_template(
        "reports/pdf.html",
        report=report,
        css=CSS_PATH.read_text(encoding="utf-8"),
        photo_src=photo_src,
        **context,
    )


def _drawn_within(kept: Path, seconds: float) -> bool:
    """Wait up to `seconds` for the drawing of `kept`; False if it is still under way then."""
    deadline = time.monotonic() + seconds
    lock = kept.with_suffix(".lock")
    while not kept.is_file():
        if not _being_drawn(lock):
            if kept.is_file():
                return True
            raise DrawingFailed(f"the drawing of {kept.name} ended without a PDF")
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def _being_drawn(lock: Path) -> bool:
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _reports_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]).resolve() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def version(assessment: Assessment, with_rectification: bool) -> str:
    """Everything the printed report depends on that can change, as one hash."""
    last_change = db.session.scalar(
        db.select(db.func.max(AuditEvent.id)).where(
            AuditEvent.assessment_id == assessment.id, AuditEvent.action.not_like(f"{NOT_PRINTED}%")
        )
    )
    parts = {
        "assessment": assessment.id,
        "last_change": last_change,
        "rectification": with_rectification,
        "locale": str(get_locale()),
        # A finalized record prints its snapshot (app/services/frozen.py): a later rename redraws nothing.
        "record": frozen.facts(assessment).printed(),
    }
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def draw_new_versions() -> None:
    """Start drawing the finalized reports whose new versions this request committed, so that their
    downloads find them kept; a failure here is logged and never spoils the answer."""
    changed = db.session.info.pop(COMMITTED, set())
    if not current_app.config["REPORT_PDF_AHEAD"]:
        return
    for assessment_id in sorted(changed):
        try:
            assessment = db.session.get(Assessment, assessment_id)
            if assessment is not None and assessment.is_finalized:
                prepare(assessment, False, kept_path(assessment, False))
        except Exception:
            current_app.logger.exception("could not start drawing the report of assessment %s", assessment_id)


@event.listens_for(db.session, "after_flush")
def _note_changed_reports(session, _context) -> None:
    changed = {
        row.assessment_id
        for row in session.new
        if isinstance(row, AuditEvent) and row.assessment_id and not row.action.startswith(NOT_PRINTED)
    }
    if changed:
        session.info.setdefault(CHANGED, set()).update(changed)


@event.listens_for(db.session, "after_commit")
def _keep_committed_changes(session) -> None:
    if CHANGED in session.info:
        session.info.setdefault(COMMITTED, set()).update(session.info.pop(CHANGED))


@event.listens_for(db.session, "after_soft_rollback")
def _forget_rolled_back_changes(session, _previous) -> None:
    session.info.pop(CHANGED, None)
