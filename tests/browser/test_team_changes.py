"""A team on phones: no teammate's change is lost silently, counts include what waits on the phone,
and a deduction is one screen of work."""

import os
import re

from playwright.sync_api import expect

from app.extensions import db
from app.models import Assessment, AuditEvent, Finding, Station, User
from app.services import assessments
from tests.browser.conftest import log_in, wait_until
from tests.browser.test_offline import COUNT_OUTBOX, is_finding_write, wait_until_synced
from tests.browser.test_outbox import wait_for_server
from tests.browser.test_shared_phone import end_sessions_on_the_server

WAITING_RESULTS = """async (assessmentId) => new Promise((resolve) => {
  const opened = indexedDB.open("assessment-outbox");
  opened.onsuccess = () => {
    const all = opened.result.transaction("entries").objectStore("entries").getAll();
    all.onsuccess = () => resolve(
      all.result.filter((e) => e.kind === "finding" && e.state === "pending").length
    );
  };
})"""


def shot(page, name: str) -> None:
    """The screen as the phone shows it (390x844), for people to look at, when SCREENSHOT_DIR says where."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"))


class FindingWrites:
    """Finding writes answered 503 while `held` is true (what waits on the phone keeps waiting),
    passed to the app otherwise."""

    def __init__(self, app):
        self.held = False
        self.inner = app.wsgi_app
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        if self.held and is_finding_write(environ):
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "maintenance"}']
        return self.inner(environ, start_response)


def demo_assessment_id(server) -> int:
    with server.app.app_context():
        station = db.session.scalar(db.select(Station).filter_by(code="SH002"))
        return db.session.scalar(db.select(Assessment.id).filter_by(station_id=station.id))


def stored(server, assessment_id: int, item_id: str):
    with server.app.app_context():
        finding = db.session.scalar(
            db.select(Finding).filter_by(assessment_id=assessment_id, item_id=item_id)
        )
        return (finding.outcome, finding.revised_by.username) if finding and finding.outcome else None


def open_first_unscored(page, server) -> tuple[str, str]:
    """Log in as assessor1 and open the demo assessment where it was left: its first unscored item."""
    log_in(page, server.url, "assessor1")
    page.goto(f"{server.url}/assess/{demo_assessment_id(server)}/")
    page.wait_for_url(re.compile(r"/items/"))
    base, item_id = page.url.rsplit("/items/", 1)
    return base, item_id


def test_a_teammates_newer_result_stands_and_the_one_whose_result_waited_is_told_and_applies_it_in_one_tap(
    page, demo_data
):
    writes = FindingWrites(demo_data.app)
    assessment_id = demo_assessment_id(demo_data)
    base, item_id = open_first_unscored(page, demo_data)
    writes.held = True
    page.click("label[for=outcome-zero]")
    page.fill("#note", "主任未到岗")
    expect(page.locator("#item-status .pending")).to_be_visible()
    wait_until(page, WAITING_RESULTS, assessment_id)

    end_sessions_on_the_server(demo_data, "assessor1")
    writes.held = False
    log_in(page, demo_data.url, "assessor2")
    page.goto(f"{base}/items/{item_id}")
    expect(page.locator("#item-status .teammate-waiting")).to_contain_text("王建国")
    page.click("label[for=outcome-full]")
    # The bar may not say yet that the tap waits: the server's side is what counts.
    wait_for_server(page, lambda: stored(demo_data, assessment_id, item_id) == ("full", "assessor2"))
    wait_until_synced(page)

    end_sessions_on_the_server(demo_data, "assessor2")
    log_in(page, demo_data.url, "assessor1")
    page.goto(f"{base}/items/{item_id}")
    notice = page.locator("#item-status .not-applied")
    expect(notice).to_contain_text("李慧敏", timeout=30_000)
    expect(notice).to_contain_text("未生效")
    assert stored(demo_data, assessment_id, item_id) == ("full", "assessor2"), (
        "the older result replaced nothing"
    )
    with demo_data.app.app_context():
        assert (
            db.session.scalar(
                db.select(db.func.count()).select_from(AuditEvent).filter_by(action="finding.not_applied")
            )
            == 1
        )
    shot(page, "teammate-notice")

    notice.get_by_role("button", name="用我的结果").click()
    wait_for_server(page, lambda: stored(demo_data, assessment_id, item_id) == ("zero", "assessor1"))
    wait_until_synced(page)
    expect(page.locator("#item-status .not-applied")).to_have_count(0)


def test_the_assessor_told_of_a_teammates_result_can_keep_theirs_in_one_tap(page, demo_data):
    assessment_id = demo_assessment_id(demo_data)
    base, item_id = open_first_unscored(page, demo_data)
    with demo_data.app.app_context():
        teammate = db.session.scalar(db.select(User).filter_by(username="assessor2"))
        assessment = db.session.get(Assessment, assessment_id)
        assessments.record_finding(
            assessment, item_id, outcome="full", inputs=None, note="", user=teammate, based_on=0
        )
        db.session.commit()

    page.click("label[for=outcome-zero]")
    notice = page.locator("#item-status .not-applied")
    expect(notice).to_contain_text("李慧敏")
    notice.get_by_role("button", name="保留对方的结果").click()

    expect(page.locator("#outcome-full")).to_be_checked()
    expect(notice).to_have_count(0)
    wait_until(page, f"async () => (await {COUNT_OUTBOX}) === 0")
    assert stored(demo_data, assessment_id, item_id) == ("full", "assessor2")
    page.reload()
    expect(page.locator("#outcome-full")).to_be_checked()


def test_progress_index_and_summary_count_results_waiting_on_the_phone_as_entered(page, demo_data):
    writes = FindingWrites(demo_data.app)
    base, first = open_first_unscored(page, demo_data)
    progress = page.locator("#progress .progress-count")
    before = progress.inner_text()
    scored, total = (int(n) for n in before.split("/"))
    writes.held = True
    page.click("label[for=outcome-full]")
    page.locator(".walk-nav a[rel=next]").click()
    page.wait_for_url(re.compile(r"/items/(?!" + re.escape(first) + "$)"))
    page.click("label[for=outcome-full]")
    expect(page.locator("#item-status .pending")).to_be_visible()
    wait_until(page, "async (n) => (await (" + WAITING_RESULTS + ")(0)) === n", 2)

    page.reload()
    expect(progress).to_have_text(f"{scored + 2}/{total}")
    expect(page.locator("#progress .waiting-count")).to_have_text("2 项待同步")
    shot(page, "offline-progress")

    page.goto(f"{base}/index")
    expect(progress).to_have_text(f"{scored + 2}/{total}")
    expect(page.locator(f"li[data-item-id='{first}'] [data-unscored-badge]")).to_be_hidden()
    expect(page.locator(f"li[data-item-id='{first}'] .badge.pending")).to_have_text("待同步")

    page.goto(f"{base}/summary")
    open_items = total - scored - 2
    expect(page.locator("#checklist [data-open-items]")).to_contain_text(f"还有 {open_items} 个小项未评分")
    expect(page.locator("#checklist .waiting-count")).to_have_text("2 项待同步")


def test_a_deductions_note_is_focused_above_the_bottom_bar_with_camera_and_gallery_beside_it(page, demo_data):
    open_first_unscored(page, demo_data)
    page.click("label[for=outcome-zero]")

    expect(page.locator("#note")).to_be_focused()
    top = page.locator(".topbar").bounding_box()
    bar = page.locator(".walk-nav").bounding_box()
    assert bar["y"] + bar["height"] <= 844 + 1, "the bottom bar is on the screen"
    visible_from, visible_to = top["y"] + top["height"], bar["y"]
    note = page.locator("#note").bounding_box()
    camera = page.locator(".deduction-tools label", has_text="拍照").bounding_box()
    gallery = page.locator(".deduction-tools label", has_text="从相册选择").bounding_box()
    for name, box in (("note", note), ("camera", camera), ("gallery", gallery)):
        assert box["y"] >= visible_from - 0.5, f"the {name} is under the top bar: {box}"
        assert box["y"] + box["height"] <= visible_to + 0.5, f"the {name} is under the bottom bar: {box}"
    shot(page, "deduction")
    assert camera["y"] >= note["y"] + note["height"], "camera and gallery sit right under the note"
    assert abs(camera["y"] - gallery["y"]) < 1


def test_the_camera_beside_the_note_takes_the_evidence_photo(page, demo_data, tmp_path):
    open_first_unscored(page, demo_data)
    page.click("label[for=outcome-zero]")
    with page.expect_file_chooser() as chooser:
        page.locator(".deduction-tools label", has_text="从相册选择").click()
    assert chooser.value.element.get_attribute("data-photo-input") is not None
