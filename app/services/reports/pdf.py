"""The report as a PDF, drawn off the request path and kept once per version under UPLOAD_DIR/reports.

A version changes with every audited change to the assessment (finalize, reopen, sign-off,
rectification; not the opening of a share link) and with the names the report prints, so a kept
file is never stale. A finalized report is drawn as soon as its new version is committed
(`draw_new_versions`, at the end of that request), in a spawned child process (`drawing.py`), so
its download usually finds the file kept. A download that arrives while it is drawn waits a
bounded time (REPORT_PDF_WAIT), then is told that the PDF is being prepared (`Preparing`).
Files of versions no reader can be sent any more are removed by `prune` (`flask reports prune`).

Drawings take turns (one slot per upload folder), so the queue is bounded: for each report
(assessment, appendix, language) at most one drawing waits for the slot, and it draws the newest
version asked for when its turn comes (a newer version takes the place of an older one still
waiting, whose readers are asked to come back); and one reader starts at most
DRAWINGS_PER_READER drawings that wait at once, beyond which their download is asked to come back.
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
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from sqlalchemy import event

from app.extensions import db
from app.models import Assessment, AuditEvent
from app.services import evidence, frozen, verification
from app.services.reports import document, drawing, signing
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
# A drawing is taken for ended without a PDF only when no lock of it has been held for this long: a
# busy machine was seen to show a starting drawing holding neither for a moment.
ENDED_AFTER_SECONDS = 1.0
CHANGED = "report_versions_changed"
COMMITTED = "report_versions_committed"
# A kept file is named by its assessment and version: <assessment id>-<sha256 of the version>.
KEPT_NAME = re.compile(r"(\d+)-[0-9a-f]{64}")
# Drawings one reader (a user, a share link) may have waiting for the slot at once.
DRAWINGS_PER_READER = 2


class Preparing(Exception):
    """The PDF is being drawn and was not ready within the wait: ask the reader to come back."""

    retry_after = RETRY_AFTER_SECONDS


class DrawingFailed(RuntimeError):
    """The child process drawing a PDF ended without one; its traceback went to the error log."""


def photo_src(photo) -> str:
    return f"{UPLOAD_SCHEME}{photo.sha256}"


def report_pdf(assessment: Assessment, with_rectification: bool, reader: str | None = None) -> Path:
    """The kept PDF of the assessment's current version, drawn first if need be (see the module);
    `reader` names who asks (a user, a share link), whose waiting drawings are bounded."""
    kept = kept_path(assessment, with_rectification)
    if kept.is_file():
        return kept
    if not prepare(assessment, with_rectification, kept, reader):
        raise Preparing()
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
        if path.suffix == ".pdf":
            verification.record_drawn(path)  # the hash of a PDF as issued outlives its file
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


def prepare(assessment: Assessment, with_rectification: bool, kept: Path, reader: str | None = None) -> bool:
    """Have `kept` drawn unless it is kept or being drawn already (by any worker or server); False
    when it is not, because `reader` has DRAWINGS_PER_READER drawings waiting already.

    The report's job (its newest version) is written under the report's mutex. A drawing of that
    report still waiting for the slot will draw it; otherwise a child is spawned, holding the
    report's waiting lock (and one of the reader's) until its turn comes.
    """
    if kept.is_file() or _being_drawn(kept.with_suffix(".lock")):
        return True
    queue = _queue_folder()
    report = queue / f".{assessment.id}-{int(with_rectification)}-{get_locale()}"
    with _held(report.with_suffix(".mutex")):
        if kept.is_file() or _being_drawn(kept.with_suffix(".lock")):
            return True
        job = _job(report)
        if job.get("target") == str(kept) and _being_drawn(report.with_suffix(".waiting")):
            return True
        reader_lock = _reader_slot(queue, reader)
        if reader_lock is False:
            return False
        source = kept.with_suffix(".html")
        source.write_text(
            report_html(
                document.build(assessment, with_rectification),
                with_rectification=with_rectification,
                verification=verification.printed_on(assessment, kept.stem),
            ),
            encoding="utf-8",
        )
        _write_job(report, source, kept)
        if job.get("source") not in (None, str(source)):
            Path(job["source"]).unlink(missing_ok=True)  # a version no one will draw now
        waiting = os.open(report.with_suffix(".waiting"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(waiting, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True  # a drawing of this report waits for its turn: it draws this job
            render_pdf(report, kept, waiting, reader_lock)
        finally:
            os.close(waiting)
            if reader_lock is not None:
                os.close(reader_lock)
    return True


def _reader_slot(queue: Path, reader: str | None):
    """A lock of one of the reader's DRAWINGS_PER_READER slots (the spawned child holds it until its
    turn comes); None for no reader, False when every slot is taken."""
    if reader is None:
        return None
    name = hashlib.sha256(reader.encode()).hexdigest()[:16]
    for n in range(DRAWINGS_PER_READER):
        slot = os.open(queue / f".reader-{name}-{n}", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return slot
        except BlockingIOError:
            os.close(slot)
    return False


def _job(report: Path) -> dict:
    try:
        return json.loads(report.with_suffix(".job").read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_job(report: Path, source: Path, kept: Path) -> None:
    job = json.dumps({"source": str(source), "target": str(kept)}).encode()
    evidence.write_atomically(report.with_suffix(".job"), job)


@contextmanager
def _held(path: Path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def render_pdf(report: Path, kept: Path, waiting: int, reader_lock: int | None) -> None:
    """A spawned child draws the report's job when the slot is free: `kept` unless a newer version
    took its place meanwhile. It holds `waiting` (and the reader's lock) until its turn comes."""
    upload_dir = str(Path(current_app.config["UPLOAD_DIR"]).resolve())
    held = (waiting,) if reader_lock is None else (waiting, reader_lock)
    child = subprocess.Popen(
        [
            *LOWER_PRIORITY,
            sys.executable,
            "-m",
            CHILD,
            str(kept.with_suffix(".html")),
            str(kept),
            upload_dir,
            str(report),
            *map(str, held),
        ],
        cwd=ROOT,
        env=signing.child_environment(current_app.config),
        pass_fds=held,
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
    """Wait up to `seconds` for the drawing of `kept`; False if it is still under way or waiting
    then, or if a newer version took its place."""
    deadline = time.monotonic() + seconds
    lock = kept.with_suffix(".lock")
    idle_since = None
    while not kept.is_file():
        if not _being_drawn(lock) and not _waiting(kept):
            if kept.is_file():
                return True
            if _superseded(kept):
                return False
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= ENDED_AFTER_SECONDS:
                raise DrawingFailed(f"the drawing of {kept.name} ended without a PDF")
        else:
            idle_since = None
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def _report_of(kept: Path) -> Path | None:
    """The queue's name of the report a kept file is a version of, from the job naming it."""
    for job in _queue_folder().glob(f".{KEPT_NAME.fullmatch(kept.stem)[1]}-*.job"):
        if _job(job.with_suffix("")).get("target") == str(kept):
            return job.with_suffix("")
    return None


def _waiting(kept: Path) -> bool:
    report = _report_of(kept)
    return report is not None and _being_drawn(report.with_suffix(".waiting"))


def _superseded(kept: Path) -> bool:
    """No job names `kept` any more: a newer version of its report is to be drawn instead."""
    return _report_of(kept) is None


def _being_drawn(lock: Path) -> bool:
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _queue_folder() -> Path:
    """Jobs and locks of the drawings waiting for the slot; dot-named, so backups leave them out."""
    folder = Path(current_app.config["UPLOAD_DIR"]).resolve() / ".report-queue"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def draw_new_versions(reader: str | None = None) -> None:
    """Start drawing the finalized reports whose new versions this request committed, so that their
    downloads find them kept; a failure here is logged and never spoils the answer. `reader` is
    who made the change: the drawings count among theirs."""
    changed = db.session.info.pop(COMMITTED, set())
    if not current_app.config["REPORT_PDF_AHEAD"]:
        return
    for assessment_id in sorted(changed):
        try:
            assessment = db.session.get(Assessment, assessment_id)
            if assessment is not None and assessment.is_finalized:
                prepare(assessment, False, kept_path(assessment, False), reader)
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
