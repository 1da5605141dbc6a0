"""Kept PDFs of superseded report versions are removed by `flask reports prune`, once a day old;
each assessment's current ones (every language, with and without the rectification appendix) stay.

These tests check which files go, not what is drawn: a stand-in writes a tiny PDF where WeasyPrint
would draw the report (a few seconds a PDF, and 149 s for this file on a busy machine). The real
drawing is tested in tests/reports/test_reports.py and tests/reports/test_report_versions.py.
"""

import fcntl
import os
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Assessment
from app.services import audit
from app.services.reports import drawing, pdf
from app.web.i18n import LANGUAGE_COOKIE
from tests.report_fixtures import demo_data, log_in  # noqa: F401

TWO_DAYS = 2 * 24 * 3600


@pytest.fixture(autouse=True)
def _no_drawing(monkeypatch):
    """Keep a stand-in PDF where the report would be drawn; naming, locking and keeping stay real."""

    def keep_a_stand_in(report, kept: Path, *locks) -> None:
        kept.write_bytes(b"%PDF-1.7 stand-in for " + kept.name.encode())
        kept.with_suffix(".html").unlink(missing_ok=True)  # as the drawing child does once done

    monkeypatch.setattr(pdf, "render_pdf", keep_a_stand_in)


def kept_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_DIR"]) / "reports"
    return {path.name for path in folder.iterdir() if path.name != drawing.SLOT}


def make_old(app, names) -> None:
    folder = Path(app.config["UPLOAD_DIR"]) / "reports"
    past = time.time() - TWO_DAYS
    for name in names:
        os.utime(folder / name, (past, past))


def download_every_kind(client, url) -> None:
    """The report in Chinese and English, each with and without the rectification appendix."""
    for language in ("zh_CN", "en"):
        client.set_cookie(LANGUAGE_COOKIE, language)
        for query in ("", "?rectification=1"):
            download = client.get(url + query)
            assert download.status_code == 200 and download.data.startswith(b"%PDF")


def correct_a_note(app, assessment_id) -> None:
    """An audited correction of the record (after a reopen, say): the report's version changes. A
    later rename does not make one: the finalized record prints its snapshot."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        finding = assessment.finding_for("1.1.1")
        before = finding.snapshot()
        finding.note = "复核后补充：台账已补齐。"
        audit.record(
            "finding.set",
            assessment=assessment,
            subject="1.1.1",
            before=before,
            after=finding.snapshot(),
            user=None,
        )
        db.session.commit()


def test_pruning_removes_superseded_versions_a_day_old_and_keeps_the_current_ones(
    app, client, auth, runner, demo
):
    log_in(auth, "staff1")
    url = f"/reports/assessments/{demo.finalized}.pdf"
    download_every_kind(client, url)
    superseded = kept_files(app)
    correct_a_note(app, demo.finalized)
    download_every_kind(client, url)
    current = kept_files(app) - superseded
    assert len(current) == len(superseded) == 8, "a PDF and its lock per kind"
    make_old(app, superseded | current)

    result = runner.invoke(args=["reports", "prune"])

    assert result.exit_code == 0, result.output
    assert "removed 8 files" in result.output
    assert kept_files(app) == current
    for language in ("zh_CN", "en"):
        client.set_cookie(LANGUAGE_COOKIE, language)
        assert client.get(url).status_code == 200
    assert kept_files(app) == current, "the current versions were found kept, not drawn again"


def test_a_superseded_version_younger_than_the_limit_is_kept(app, client, auth, runner, demo):
    log_in(auth, "staff1")
    url = f"/reports/assessments/{demo.finalized}.pdf"
    assert client.get(url).status_code == 200
    superseded = kept_files(app)
    correct_a_note(app, demo.finalized)
    assert client.get(url).status_code == 200

    assert "removed 0 files" in runner.invoke(args=["reports", "prune"]).output
    make_old(app, superseded)
    assert "removed 2 files" in runner.invoke(args=["reports", "prune", "--older-than", "24"]).output
    assert not kept_files(app) & superseded


def test_files_of_a_deleted_assessment_or_an_older_naming_are_removed(app, runner, demo):
    folder = Path(app.config["UPLOAD_DIR"]) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stray = [f"99999-{'a' * 64}.pdf", f"{'b' * 64}.pdf", f"{'b' * 64}.html"]
    for name in stray:
        (folder / name).write_bytes(b"%PDF-old")
    make_old(app, stray)

    assert "removed 3 files" in runner.invoke(args=["reports", "prune"]).output
    assert not kept_files(app) & set(stray)


def test_a_version_being_drawn_is_left_alone(app, runner, demo):
    folder = Path(app.config["UPLOAD_DIR"]) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"99999-{'c' * 64}"
    for suffix in (".html", ".lock"):
        (folder / f"{name}{suffix}").write_text("")
    make_old(app, [f"{name}.html", f"{name}.lock"])
    held = os.open(folder / f"{name}.lock", os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        assert "removed 0 files" in runner.invoke(args=["reports", "prune"]).output
    finally:
        os.close(held)
    assert "removed 2 files" in runner.invoke(args=["reports", "prune"]).output


def test_a_download_whose_version_was_pruned_meanwhile_is_asked_to_come_back(
    app, client, auth, demo, monkeypatch, tmp_path
):
    monkeypatch.setattr(pdf, "report_pdf", lambda *_args: tmp_path / "pruned.pdf")
    log_in(auth, "staff1")
    download = client.get(f"/reports/assessments/{demo.finalized}.pdf")
    assert download.status_code == 202
    assert int(download.headers["Retry-After"]) > 0
