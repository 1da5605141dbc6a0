"""The official report in real Chromium: a long unbroken note keeps the printed columns on a
phone, on a desktop and on paper."""

import os
from pathlib import Path

import pytest

from app.extensions import db
from app.models import IN_PROGRESS, Assessment, User
from app.services import assessments
from app.services.reports.layout import COLUMN_WIDTHS
from tests.browser.conftest import log_in

LONG_NOTE = ("https://example.com/serials/" + "0123456789ABCDEF" * 40)[:500]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Each column's width as the page lays it out: the header cells of the two header rows.
MEASURE = """() => {
  const row = document.querySelector('tr[data-item="6.6.1"]');
  const table = row.closest('table');
  const [top, bottom] = table.tHead.rows;
  const cells = [...bottom.cells, ...[...top.cells].slice(1)];
  return {
    table: table.getBoundingClientRect().width,
    box: table.parentElement.clientWidth,
    columns: cells.map((cell) => cell.getBoundingClientRect().width),
    page: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
  };
}"""


def shots_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("SHOTS_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def with_long_note(server) -> int:
    with server.app.app_context():
        assessment = db.session.scalar(db.select(Assessment).filter_by(status=IN_PROGRESS))
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        assessments.record_finding(
            assessment, "6.6.1", outcome="zero", inputs=None, note=LONG_NOTE, user=user
        )
        db.session.commit()
        return assessment.id


def assert_printed_widths(measured) -> None:
    expected = [COLUMN_WIDTHS[name] for name in ("category", "group", "item", "points", "method", "result")]
    shares = [width * 100 / measured["table"] for width in measured["columns"]]
    assert shares == pytest.approx(expected, abs=1.0), shares


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_a_long_unbroken_note_keeps_the_printed_columns_on_screen(
    browser, demo_data, tmp_path, name, viewport
):
    assessment_id = with_long_note(demo_data)
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, demo_data.url, "assessor1")
        page.goto(f"{demo_data.url}/reports/assessments/{assessment_id}")
        measured = page.evaluate(MEASURE)
        assert_printed_widths(measured)
        assert measured["page"] <= measured["viewport"], "the page itself never scrolls sideways"
        if name == "desktop":
            assert measured["table"] <= measured["box"], "the table fits its column"
        page.locator('tr[data-item="6.6.1"]').scroll_into_view_if_needed()
        page.screenshot(path=str(shots_dir(tmp_path) / f"report-long-note-{name}.png"))
    finally:
        context.close()


def test_a_long_unbroken_note_prints_at_the_printed_widths_without_scaling(browser, demo_data, tmp_path):
    assessment_id = with_long_note(demo_data)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, demo_data.url, "assessor1")
        page.goto(f"{demo_data.url}/reports/assessments/{assessment_id}")
        page.emulate_media(media="print")
        measured = page.evaluate(MEASURE)
        assert_printed_widths(measured)
        assert measured["table"] <= measured["box"] and measured["page"] <= measured["viewport"]
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
        (shots_dir(tmp_path) / "report-long-note-chromium.pdf").write_bytes(pdf)
    finally:
        context.close()
