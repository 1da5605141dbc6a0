"""The public 核验 page in Chromium at 390x844: a PDF dropped onto it is checked at once."""

from playwright.sync_api import expect

from app.extensions import db
from app.models import FINALIZED, Assessment
from tests.reports.test_verify import changed_byte, issue

ISSUED = b"%PDF-1.7\n1 0 obj<<>>stream\n" + bytes(range(256)) * 4 + b"\nendstream"

DROP = """([name, bytes]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(bytes)], name, { type: "application/pdf" }));
  const card = document.querySelector("#check");
  for (const kind of ["dragover", "drop"]) {
    card.dispatchEvent(new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
}"""


def issued_code(server) -> str:
    with server.app.app_context():
        finalized = db.session.scalar(db.select(Assessment.id).filter_by(status=FINALIZED))
    return issue(server.app, finalized, ISSUED)


def test_a_pdf_dropped_on_the_page_is_said_to_be_the_issued_one_or_not(page, demo_data, tmp_path):
    code = issued_code(demo_data)
    page.goto(f"{demo_data.url}/v/{code}")
    expect(page.locator(".verify-drop-hint")).to_have_text("也可将 PDF 文件拖放到此卡片上。")
    page.evaluate(DROP, ["report.pdf", list(ISSUED)])
    expect(page.locator("[data-matches]")).to_have_attribute("data-matches", "yes")
    page.screenshot(path=tmp_path / "verify-dropped-same.png", full_page=True)
    page.evaluate(DROP, ["changed.pdf", list(changed_byte(ISSUED))])
    expect(page.locator("[data-matches]")).to_have_attribute("data-matches", "no")
