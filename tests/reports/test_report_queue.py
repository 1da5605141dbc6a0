"""One assessor cannot queue unbounded PDF drawings: a newer version of a report takes the place of
an older one still waiting, and each reader has a bound on the drawings they start."""

import sys
from pathlib import Path

from app.extensions import db
from app.models import Assessment
from app.services.reports import drawing
from tests.report_fixtures import demo_data, log_in  # noqa: F401
from tests.reports.test_report_versions import children_running, count_drawings, kept_pdfs, wait_until

DRAWING = [sys.executable.encode(), b"-m", b"app.services.reports.drawing"]


def small_change(app, assessment_id, n):
    """A change the printed report shows (the station's contact), so the report has a new version."""
    with app.app_context():
        db.session.get(Assessment, assessment_id).station.contact = f"电话 {n}"
        db.session.commit()


def test_twelve_changes_each_followed_by_a_download_leave_one_drawing_waiting(app, client, auth, demo):
    app.config["REPORT_PDF_WAIT"] = 0
    reports = Path(app.config["UPLOAD_DIR"]) / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    log_in(auth, "assessor1")
    url = f"/reports/assessments/{demo.finalized}.pdf"
    with drawing.drawing_slot(reports):  # another report is being drawn all along
        for n in range(12):
            small_change(app, demo.finalized, n)
            assert client.get(url).status_code == 202
            assert len(children_running(DRAWING)) <= 1
        wait_until(lambda: len(children_running(DRAWING)) == 1, "the one drawing waits for the slot")
    app.config["REPORT_PDF_WAIT"] = 600
    ready = client.get(url)
    assert ready.status_code == 200 and ready.data.startswith(b"%PDF")
    assert len(kept_pdfs(app)) == 1, "only the newest version was drawn"
    wait_until(lambda: children_running(DRAWING) == [], "the drawing ends")


def test_a_reader_starts_a_bounded_number_of_drawings_and_others_are_not_held_up(
    app, client, auth, demo, monkeypatch
):
    from app.services.reports import pdf

    monkeypatch.setattr(pdf, "DRAWINGS_PER_READER", 2, raising=False)
    started = count_drawings(monkeypatch)
    app.config["REPORT_PDF_WAIT"] = 0
    reports = Path(app.config["UPLOAD_DIR"]) / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    log_in(auth, "admin")
    other = auth.__class__(app.test_client())
    log_in(other, "staff1")
    with drawing.drawing_slot(reports):
        for assessment_id in (demo.finalized, demo.in_progress):
            for language in ("zh_CN", "en"):
                client.post("/language", data={"csrf_token": auth.token, "language": language})
                assert client.get(f"/reports/assessments/{assessment_id}.pdf").status_code == 202
        assert len(started) == 2
        answer = other.client.get(f"/reports/assessments/{demo.finalized}.pdf?rectification=1")
        assert answer.status_code == 202
        assert len(started) == 3, "another reader's drawing is not held up by the first one's bound"
    wait_until(lambda: children_running(DRAWING) == [], "the drawings end")
