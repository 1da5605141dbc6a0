"""Offline walk with a registered service worker: nothing entered is lost, and it arrives once."""

import io
import json
import re
import threading

from PIL import Image
from playwright.sync_api import expect

from app.extensions import db
from app.models import Assessment, AuditEvent, Finding, Mutation, Photo, User
from app.pwa import routes as pwa_routes
from app.services import assessments
from app.services.rubrics import rubric_of
from tests.browser.conftest import log_in, wait_until
from tests.browser.test_walk import go_to_next_item
from tests.conftest import Auth

COUNT_OUTBOX = """new Promise((resolve) => {
  const opened = indexedDB.open("assessment-outbox");
  opened.onsuccess = () => {
    const counted = opened.result.transaction("entries").objectStore("entries").count();
    counted.onsuccess = () => resolve(counted.result);
  };
})"""


def is_finding_write(environ) -> bool:
    """One result sent alone (PUT .../findings/<item>) or several in one request (POST .../findings)."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    return (method == "PUT" and "/findings/" in path) or (method == "POST" and path.endswith("/findings"))


def results_sent(environ) -> list[str]:
    """The item of each result a finding write carries; the body is put back for the app to read."""
    path = environ["PATH_INFO"]
    if environ["REQUEST_METHOD"] == "PUT":
        return [path.rsplit("/", 1)[1]]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    return [change["item_id"] for change in json.loads(body)["findings"]]


def record_finding_writes(app) -> list[list[str]]:
    """Record every finding write the server receives, from any tab or the service worker: for
    each request, the items of the results it carries."""
    received = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        if is_finding_write(environ):
            received.append(results_sent(environ))
        return inner(environ, start_response)

    app.wsgi_app = recording
    return received


def results_in(requests: list[list[str]]) -> list[str]:
    return [item for request in requests for item in request]


def refuse_finding_writes(app) -> None:
    """The server answers 503 to every finding write, so what waits on the phone keeps waiting."""
    inner = app.wsgi_app

    def refusing(environ, start_response):
        if is_finding_write(environ):
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "maintenance"}']
        return inner(environ, start_response)

    app.wsgi_app = refusing


def open_demo_assessment(page, server) -> str:
    """Open the demo's assessment in progress and wait until it is kept on the phone."""
    log_in(page, server.url, "assessor1")
    page.get_by_role("link", name=re.compile("上海市机电")).click()
    page.wait_for_url(re.compile(r"/items/"))
    # Saving about 60 pages on the phone takes a while on a loaded two-core machine.
    expect(page.locator(".offline-status.ready")).to_be_visible(timeout=90_000)
    return page.url.rsplit("/items/", 1)[0]


def wait_until_synced(page) -> None:
    expect(page.locator("#sync-indicator")).not_to_have_class(re.compile("has-waiting"), timeout=20_000)


def server_finding(server, assessment_id: int, item_id: str):
    with server.app.app_context():
        finding = db.session.scalar(
            db.select(Finding).filter_by(assessment_id=assessment_id, item_id=item_id)
        )
        return (finding.outcome, finding.note) if finding else None


def test_offline_entries_survive_a_reload_and_reach_the_server_when_back_online(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    assessment_id = int(base.rsplit("/", 1)[1])
    first = page.url.rsplit("/", 1)[1]
    page.context.set_offline(True)

    page.click("label[for=outcome-zero]")
    expect(page.locator("#item-status .pending")).to_have_text("已存于本机，尚未同步。")
    page.fill("#note", "离线时发现：记录不全")
    page.locator("#note").blur()
    expect(page.locator("#sync-indicator .sync-summary")).to_contain_text("连不上服务器")

    go_to_next_item(page)
    second = page.url.rsplit("/", 1)[1]
    assert second != first, "the next item page comes from the phone's copy"
    page.click("label[for=outcome-full]")
    expect(page.locator("#item-status .pending")).to_be_visible()
    # The page says 已存于本机 as the write starts: a page left before it ends loses the change.
    wait_until(page, f"async () => (await {COUNT_OUTBOX}) === 2")

    page.goto(f"{base}/items/{first}")
    expect(page.locator("#outcome-zero")).to_be_checked()
    expect(page.locator("#note")).to_have_value("离线时发现：记录不全")
    expect(page.locator("#item-status .pending")).to_be_visible()
    page.goto(f"{base}/index")
    expect(page.locator(f"li[data-item-id='{second}'] .badge.pending")).to_have_text("待同步")
    assert server_finding(demo_data, assessment_id, first) is None

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_synced(page)
    assert server_finding(demo_data, assessment_id, first) == ("zero", "离线时发现：记录不全")
    assert server_finding(demo_data, assessment_id, second) == ("full", "")
    expect(page.locator(f"li[data-item-id='{second}'] .badge.pending")).to_have_count(0)
    page.goto(f"{base}/items/{first}")
    expect(page.locator("#item-status .saved")).to_be_visible()
    with demo_data.app.app_context():
        applied = (
            db.session.query(AuditEvent)
            .filter(AuditEvent.subject.in_([first, second]), AuditEvent.assessment_id == assessment_id)
            .count()
        )
        assert applied == db.session.query(Mutation).count()


def whole_answer(wsgi_app, environ) -> tuple[str, list, bytes]:
    """Run the app on a request and keep its status, headers and body, sending nothing yet."""
    head = {}

    def keep_head(status, headers, exc_info=None):
        head.update(status=status, headers=headers)

    body = b"".join(wsgi_app(environ, keep_head))
    return head["status"], head["headers"], body


def stall_page_bodies(app, path: str) -> threading.Event:
    """Pages at `path` send their headers and a first part, then nothing until the event is set."""
    inner = app.wsgi_app
    release = threading.Event()

    def stalling(environ, start_response):
        if environ["REQUEST_METHOD"] != "GET" or environ["PATH_INFO"] != path or release.is_set():
            return inner(environ, start_response)
        status, headers, body = whole_answer(inner, environ)
        start_response(status, headers)

        def first_part_then_nothing():
            yield body[:200]
            release.wait(120)

        return first_part_then_nothing()

    app.wsgi_app = stalling
    return release


def test_a_page_whose_answer_stalls_after_its_headers_opens_from_the_phones_copy(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    index = f"{base}/index"
    release = stall_page_bodies(demo_data.app, index.split(demo_data.url, 1)[1])
    try:
        page.goto(index, wait_until="commit", timeout=60_000)
        expect(page.locator("h1")).to_have_text("评估表目录", timeout=40_000)
    finally:
        release.set()


def test_a_change_whose_answer_was_lost_is_applied_once(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    assessment_id = int(base.rsplit("/", 1)[1])
    item_id = page.url.rsplit("/", 1)[1]
    lost = []

    def deliver_then_drop_the_answer(route):
        if route.request.method == "PUT" and not lost:
            route.fetch()
            lost.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r".*/api/assessments/\d+/findings/.*"), deliver_then_drop_the_answer)
    page.click("label[for=outcome-full]")
    expect(page.locator("#item-status .pending")).to_be_visible()
    # The bar shows the waiting change a moment after the item does: wait for the item's own word.
    expect(page.locator("#item-status .saved")).to_be_visible(timeout=30_000)
    wait_until_synced(page)
    assert lost, "the answer to the first save was dropped"
    with demo_data.app.app_context():
        count = (
            db.session.query(AuditEvent)
            .filter_by(assessment_id=assessment_id, subject=item_id, action="finding.set")
            .count()
        )
    assert count == 1
    assert server_finding(demo_data, assessment_id, item_id) == ("full", "")


def test_a_refused_entry_is_shown_with_the_reason_and_kept_until_the_assessor_decides(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    assessment_id = int(base.rsplit("/", 1)[1])
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    expect(page.locator("#item-status .pending")).to_be_visible()

    with demo_data.app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        lead = db.session.scalar(db.select(User).filter_by(username="assessor2"))
        for item in rubric_of(assessment).items:
            assessments.record_finding(assessment, item.id, outcome="full", inputs=None, note="", user=lead)
        db.session.flush()
        assessments.finalize(assessment, lead)
        db.session.commit()

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#sync-indicator summary").click()
    refused = page.locator("#sync-indicator .rejected")
    expect(refused).to_contain_text("该评估已定稿，不能再修改。", timeout=20_000)
    assert page.evaluate(COUNT_OUTBOX) == 1

    page.reload()
    page.locator("#sync-indicator summary").click()
    expect(page.locator("#sync-indicator .rejected")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#sync-indicator .rejected button", has_text="放弃这条改动").click()
    expect(page.locator("#sync-indicator .rejected")).to_have_count(0)
    assert page.evaluate(COUNT_OUTBOX) == 0


def test_logging_out_with_unsynced_changes_warns_first(page, demo_data):
    open_demo_assessment(page, demo_data)
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    expect(page.locator("#item-status .pending")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    dialog = page.locator("#logout-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".logout-count")).to_contain_text("1 项待同步")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    assert page.evaluate(COUNT_OUTBOX) == 1


def test_photos_taken_offline_survive_a_reload_and_upload_once_when_back_online(page, demo_data, tmp_path):
    source = tmp_path / "ledger.jpg"
    Image.new("RGB", (3000, 2000), (200, 180, 150)).save(source, quality=90)
    base = open_demo_assessment(page, demo_data)
    assessment_id = int(base.rsplit("/", 1)[1])
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    page.set_input_files("[data-photos] input[multiple]", str(source))
    job = page.locator(".photo-job").first
    expect(job).to_have_attribute("data-state", "queued")
    expect(page.locator("#sync-indicator .sync-summary")).to_contain_text("1 项、1 张照片待同步")

    page.reload()
    expect(page.locator(".photo-job[data-state=queued]")).to_have_count(1)
    expect(page.locator(".photo-job-preview")).to_have_attribute("src", re.compile("^blob:"))

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_synced(page)
    expect(page.locator(".photo-strip img")).to_have_count(1)
    with demo_data.app.app_context():
        photos = db.session.scalars(
            db.select(Photo).join(Finding).filter(Finding.assessment_id == assessment_id)
        ).all()
        assert len(photos) == 1
        assert max(photos[0].width, photos[0].height) == 1600


def test_waiting_changes_exported_to_a_file_are_applied_once_by_an_admin_import(page, demo_data, tmp_path):
    base = open_demo_assessment(page, demo_data)
    assessment_id = int(base.rsplit("/", 1)[1])
    item_id = page.url.rsplit("/", 1)[1]
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    page.fill("#note", "导出前记录")
    page.locator("#note").blur()
    go_to_next_item(page)
    second = page.url.rsplit("/", 1)[1]
    page.click("label[for=outcome-full]")
    expect(page.locator("#item-status .pending")).to_be_visible()
    page.locator("#sync-indicator summary").click()
    with page.expect_download() as download:
        page.locator("#sync-indicator button", has_text="导出为文件").click()
    exported = tmp_path / "outbox.json"
    download.value.save_as(exported)
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["exported_by"] == "assessor1"
    assert [e["item_id"] for e in document["entries"]] == [item_id, second]
    assert all(e["author_token"] for e in document["entries"])

    admin = Auth(demo_data.app.test_client())
    admin.login("admin", "demo2026")
    for _ in range(2):
        admin.client.post(
            "/admin/outbox-import",
            data={"csrf_token": admin.token, "file": (io.BytesIO(exported.read_bytes()), "outbox.json")},
            content_type="multipart/form-data",
        )
    assert server_finding(demo_data, assessment_id, item_id) == ("zero", "导出前记录")
    assert server_finding(demo_data, assessment_id, second) == ("full", "")
    with demo_data.app.app_context():
        both = Finding.item_id.in_([item_id, second])
        credited = db.session.scalars(db.select(Finding).filter(Finding.assessment_id == assessment_id, both))
        assert {finding.updated_by.username for finding in credited} == {"assessor1"}
    applied = AuditEvent.subject.in_([item_id, second]) & (AuditEvent.assessment_id == assessment_id)
    with demo_data.app.app_context():
        assert db.session.query(AuditEvent).filter(applied).count() == 2

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_synced(page)
    with demo_data.app.app_context():
        assert db.session.query(AuditEvent).filter(applied).count() == 2


def test_two_open_tabs_never_send_the_same_entry_twice(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_url = page.url
    second = page.context.new_page()
    second.goto(f"{base}/index")
    sent = record_finding_writes(demo_data.app)
    page.context.set_offline(True)
    page.goto(item_url)
    for number, key in enumerate(("zero", "full", "zero")):
        if number:
            go_to_next_item(page)
        page.click(f"label[for=outcome-{key}]")
        expect(page.locator("#item-status .pending")).to_be_visible()
    page.context.set_offline(False)
    for tab in (page, second):
        tab.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_synced(page)
    expect(second.locator("#sync-indicator")).not_to_have_class(re.compile("has-waiting"))
    assert len(results_in(sent)) == 3


def test_logging_out_removes_saved_pages_but_keeps_what_waits(page, demo_data):
    open_demo_assessment(page, demo_data)
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    expect(page.locator("#item-status .pending")).to_be_visible()
    refuse_finding_writes(demo_data.app)
    page.context.set_offline(False)
    page.get_by_role("button", name="退出").click()
    page.locator("#logout-dialog").get_by_role("button", name="仍然退出").click()
    page.wait_for_url(re.compile("/login"))
    caches = page.evaluate("caches.keys()")
    assert not [name for name in caches if name.startswith("assessment-")]
    assert any(name.startswith("shell-") for name in caches)
    assert page.evaluate(COUNT_OUTBOX) == 1


def test_a_new_service_worker_keeps_every_assessment_available_offline(page, demo_data, monkeypatch):
    base = open_demo_assessment(page, demo_data)
    old_version = page.evaluate("caches.keys()")
    monkeypatch.setattr(pwa_routes, "shell_version", lambda folder: "next-release")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    wait_until(page, "caches.keys().then((keys) => keys.includes('shell-next-release'))")
    one_shell = "caches.keys().then((keys) => keys.filter((key) => key.startsWith('shell-')).length === 1)"
    wait_until(page, one_shell)
    assert [k for k in old_version if k.startswith("assessment-")] == [
        k for k in page.evaluate("caches.keys()") if k.startswith("assessment-")
    ]
    page.context.set_offline(True)
    page.goto(f"{base}/items/9.2.1")
    expect(page.locator("#item-title")).to_contain_text("投诉咨询电话")
    page.goto(f"{base}/index")
    expect(page.locator("h1")).to_have_text("评估表目录")
