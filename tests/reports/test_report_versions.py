"""A report's PDF is drawn once per version in a spawned child process, kept, and drawn ahead of its
download when a finalized report changes; a download never draws on the request's own thread."""

import fcntl
import os
import sys
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Assessment, Station
from app.services.reports import drawing, pdf
from tests.report_fixtures import complete_assessment, demo_data, log_in  # noqa: F401

CONDITION_TIMEOUT = 300


def count_drawings(monkeypatch) -> list:
    drawn = []
    real_render = pdf.render_pdf

    def counting(*args, **kwargs):
        drawn.append(1)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", counting)
    return drawn


def wait_until(condition, what: str):
    deadline = time.monotonic() + CONDITION_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def kept_pdfs(app) -> list[Path]:
    return sorted((Path(app.config["UPLOAD_DIR"]) / "reports").glob("*.pdf"))


def test_a_finalized_report_is_drawn_once_per_version(app, client, auth, demo, monkeypatch):
    drawn = count_drawings(monkeypatch)
    log_in(auth, "staff1")
    url = f"/reports/assessments/{demo.finalized}.pdf"

    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and len(drawn) == 1

    # The finalized record prints the station as it was at 定稿: a rename since draws nothing new.
    with app.app_context():
        db.session.get(Station, demo.bj001).name = "北京市第一职业技能鉴定所（新址）"
        db.session.commit()
    assert client.get(url).data == first.data and len(drawn) == 1
    assert client.get(f"{url}?rectification=1").status_code == 200 and len(drawn) == 2
    assert client.get(url).status_code == 200 and len(drawn) == 2


def test_a_report_in_progress_is_drawn_again_after_every_change(app, client, auth, demo, monkeypatch):
    drawn = count_drawings(monkeypatch)
    log_in(auth, "assessor1")
    url = f"/reports/assessments/{demo.in_progress}.pdf"

    before = client.get(url)
    assert before.status_code == client.get(url).status_code == 200 and len(drawn) == 1
    response = auth.put_json(
        f"/api/assessments/{demo.in_progress}/findings/1.1.1", {"outcome": "zero", "note": "新发现的问题"}
    )
    assert response.status_code == 200
    after = client.get(url)
    assert after.status_code == 200 and len(drawn) == 2 and after.data != before.data
    # In progress, the report prints the station as it is now: a rename draws it again.
    with app.app_context():
        db.session.get(Station, demo.sh002).name = "上海市第二职业技能鉴定站（新址）"
        db.session.commit()
    assert client.get(url).status_code == 200 and len(drawn) == 3


def hold_version_lock(app, assessment_id) -> int:
    """Take a version's lock as a drawing under way would hold it; answers the descriptor."""
    with app.test_request_context():
        assessment = db.session.get(Assessment, assessment_id)
        lock = pdf.kept_path(assessment, False).with_suffix(".lock")
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def test_a_download_that_finds_its_pdf_still_being_drawn_is_told_it_is_being_prepared(
    app, client, auth, demo, monkeypatch
):
    drawn = count_drawings(monkeypatch)
    app.config["REPORT_PDF_WAIT"] = 0.2
    log_in(auth, "staff1")
    url = f"/reports/assessments/{demo.finalized}.pdf"
    drawing_under_way = hold_version_lock(app, demo.finalized)
    try:
        preparing = client.get(url)
    finally:
        os.close(drawing_under_way)

    assert preparing.status_code == 202
    assert int(preparing.headers["Retry-After"]) > 0 and preparing.headers["Refresh"]
    assert "PDF 正在生成。本页每" in preparing.get_data(as_text=True)
    assert drawn == []
    app.config["REPORT_PDF_WAIT"] = 600
    ready = client.get(url)
    assert ready.status_code == 200 and ready.data.startswith(b"%PDF")
    assert len(drawn) == 1


def test_finalizing_draws_the_report_before_anyone_downloads_it(app, client, auth, demo, monkeypatch):
    drawn = count_drawings(monkeypatch)
    app.config["REPORT_PDF_AHEAD"] = True
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")

    assert auth.post_json(f"/api/assessments/{assessment_id}/finalize").status_code == 200

    assert len(drawn) == 1
    wait_until(lambda: kept_pdfs(app), "the report is drawn")
    app.config["REPORT_PDF_WAIT"] = 0
    download = client.get(f"/reports/assessments/{assessment_id}.pdf")
    assert download.status_code == 200 and download.data == kept_pdfs(app)[0].read_bytes()
    assert len(drawn) == 1


def test_a_change_that_is_rolled_back_draws_nothing(app, client, auth, demo, monkeypatch):
    drawn = count_drawings(monkeypatch)
    app.config["REPORT_PDF_AHEAD"] = True
    log_in(auth, "admin")

    refused = client.post(f"/admin/assessments/{demo.finalized}/reopen", data={"csrf_token": auth.token})

    assert refused.status_code == 422
    assert drawn == []


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_the_pdf_is_drawn_by_a_fresh_interpreter_that_yields_the_cpu_to_the_walk(app, demo):
    reports = Path(app.config["UPLOAD_DIR"]) / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    with app.test_request_context(), drawing.drawing_slot(reports):
        assessment = db.session.get(Assessment, demo.finalized)
        kept = pdf.kept_path(assessment, False)
        pdf.prepare(assessment, False, kept)
        drawing_it = [
            sys.executable.encode(),
            b"-m",
            b"app.services.reports.drawing",
            str(kept.with_suffix(".html")).encode(),
        ]
        wait_until(lambda: children_running(drawing_it), "a fresh interpreter draws the report")
        assert all(niceness(child) > os.nice(0) for child in children_running(drawing_it))
    wait_until(lambda: list(reports.glob("*.pdf")), "the report is drawn once the slot is free")


def children_running(command: list[bytes]) -> list[int]:
    """This process's children whose command line starts with `command`."""
    found = []
    for child in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split():
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[: len(command)] == command:
                found.append(int(child))
        except FileNotFoundError:
            continue
    return found


def test_a_drawing_that_fails_in_its_child_is_an_error_not_an_empty_pdf(app, client, auth, demo, monkeypatch):
    monkeypatch.setattr(pdf, "CHILD", "app.services.reports.no_such_module")
    log_in(auth, "staff1")

    with pytest.raises(pdf.DrawingFailed), app.test_request_context():
        pdf.report_pdf(db.session.get(Assessment, demo.finalized), False)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(f"/reports/assessments/{demo.finalized}.pdf")
    assert response.status_code == 500 and not response.data.startswith(b"%PDF")


def test_a_reopen_draws_nothing_until_the_report_is_finalized_again(app, client, auth, demo, monkeypatch):
    drawn = count_drawings(monkeypatch)
    app.config["REPORT_PDF_AHEAD"] = True
    log_in(auth, "admin")

    reopened = client.post(
        f"/admin/assessments/{demo.finalized}/reopen", data={"csrf_token": auth.token, "reason": "复核"}
    )

    assert reopened.status_code == 302
    assert drawn == []
