"""A finalized report's PDF is drawn once per version and kept, one drawing at a time per server."""

from pathlib import Path

from app.extensions import db
from app.models import Station
from app.services.reports import pdf
from tests.report_fixtures import demo_data, log_in  # noqa: F401


def count_drawings(monkeypatch) -> list:
    drawn = []
    real_render = pdf.render_pdf

    def counting(*args, **kwargs):
        drawn.append(1)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", counting)
    return drawn


def test_a_finalized_report_is_drawn_once_per_version(app, client, auth, demo, monkeypatch):
    drawn = count_drawings(monkeypatch)
    log_in(auth, "staff1")
    url = f"/reports/assessments/{demo.finalized}.pdf"

    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and len(drawn) == 1

    with app.app_context():
        db.session.get(Station, demo.bj001).name = "北京市第一职业技能鉴定所（新址）"
        db.session.commit()
    assert client.get(url).status_code == 200 and len(drawn) == 2
    assert client.get(f"{url}?rectification=1").status_code == 200 and len(drawn) == 3
    assert client.get(url).status_code == 200 and len(drawn) == 3


def test_a_report_in_progress_is_drawn_afresh_every_time(client, auth, demo, monkeypatch):
    drawn = count_drawings(monkeypatch)
    log_in(auth, "assessor1")
    url = f"/reports/assessments/{demo.in_progress}.pdf"

    assert client.get(url).status_code == client.get(url).status_code == 200
    assert len(drawn) == 2


def test_a_download_while_another_pdf_is_drawn_is_asked_to_come_back(app, client, auth, demo, monkeypatch):
    drawn = count_drawings(monkeypatch)
    log_in(auth, "staff1")
    reports = Path(app.config["UPLOAD_DIR"]) / "reports"

    with pdf.drawing_slot(reports):
        busy = client.get(f"/reports/assessments/{demo.finalized}.pdf")

    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
    assert "请几秒钟后重试" in busy.get_data(as_text=True)
    assert drawn == []
    assert client.get(f"/reports/assessments/{demo.finalized}.pdf").status_code == 200


def test_a_pdf_is_drawn_in_a_child_process_that_yields_the_cpu_to_the_walk():
    import os

    pid, niceness = pdf.drawn_aside(lambda: f"{os.getpid()} {os.nice(0)}".encode()).split()
    assert int(pid) != os.getpid()
    assert int(niceness) > os.nice(0)


def test_a_drawing_that_fails_in_its_child_is_an_error_not_an_empty_pdf():
    import pytest

    def broken() -> bytes:
        raise ValueError("no fonts")

    with pytest.raises(pdf.DrawingFailed):
        pdf.drawn_aside(broken)
