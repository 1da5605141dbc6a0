"""Outbox first: on slow, hanging, failing and shared phones nothing typed is lost or misattributed."""

import re
import threading
import time

import pytest
from PIL import Image
from playwright.sync_api import expect

from app.extensions import db
from app.models import AuditEvent, Finding, Photo, User
from tests.browser.conftest import log_in, wait_until
from tests.browser.test_offline import (
    COUNT_OUTBOX,
    open_demo_assessment,
    record_finding_writes,
    results_in,
    server_finding,
    wait_until_synced,
    whole_answer,
)
from tests.browser.test_photos import in_progress_assessment_id, in_progress_finding, in_progress_item_url
from tests.browser.test_walk import go_to_next_item, start_assessment

WRITE_PATHS = re.compile(r"/findings(/|$)|/items/[^/]+$|/no-photo-reason$|/api/photos/")


def is_write(environ) -> bool:
    return environ["REQUEST_METHOD"] in ("POST", "PUT", "PATCH") and bool(
        WRITE_PATHS.search(environ["PATH_INFO"])
    )


def slow_down_writes(app, seconds: float) -> list:
    """The server takes `seconds` to answer every write, as on a congested link. Answers the list
    of writes that have arrived so far."""
    inner = app.wsgi_app
    arrived = []

    def slow(environ, start_response):
        if is_write(environ):
            arrived.append(environ["PATH_INFO"])
            time.sleep(seconds)
        return inner(environ, start_response)

    app.wsgi_app = slow
    return arrived


def wait_for_server(page, condition, seconds: float = 30) -> None:
    """Wait until `condition()` holds on the server's side, letting the page run meanwhile."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still false after {seconds} s"
        page.wait_for_timeout(100)


def swallow_answers(app) -> threading.Event:
    """Lie-fi: every write is applied but its answer is held back until the returned event is set."""
    inner = app.wsgi_app
    release = threading.Event()

    def swallowing(environ, start_response):
        if not is_write(environ) or release.is_set():
            return inner(environ, start_response)
        whole_answer(inner, environ)
        release.wait(120)
        start_response("504 Gateway Timeout", [("Content-Type", "application/json")])
        return [b'{"error": "the answer was lost"}']

    app.wsgi_app = swallowing
    return release


def break_the_service_worker(app) -> None:
    """/sw.js answers 500, so the browser cannot register the service worker."""
    inner = app.wsgi_app

    def broken(environ, start_response):
        if environ["PATH_INFO"] == "/sw.js":
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"broken"]
        return inner(environ, start_response)

    app.wsgi_app = broken


def stall_first_write_answer(app) -> threading.Event:
    """The first write is applied and its answer's headers and first bytes are sent, then the rest
    never comes (until the returned event is set): a proxy or a server that hangs mid-answer."""
    inner = app.wsgi_app
    release = threading.Event()
    stalled = []

    def stalling(environ, start_response):
        if not is_write(environ) or stalled:
            return inner(environ, start_response)
        stalled.append(environ["PATH_INFO"])
        status, headers, body = whole_answer(inner, environ)
        start_response(status, headers)

        def half_then_nothing():
            yield body[: len(body) // 2]
            release.wait(120)

        return half_then_nothing()

    app.wsgi_app = stalling
    return release


def fail_writes(app, times: int) -> list:
    """The first `times` writes answer 500, as when the database hiccups; later ones go through."""
    inner = app.wsgi_app
    failed = []

    def failing(environ, start_response):
        if is_write(environ) and len(failed) < times:
            failed.append(environ["PATH_INFO"])
            start_response("500 Internal Server Error", [("Content-Type", "text/html")])
            return [b"<h1>database is locked</h1>"]
        return inner(environ, start_response)

    app.wsgi_app = failing
    return failed


def wait_until_outbox_empty(page, seconds: int = 60) -> None:
    wait_until(page, f"{COUNT_OUTBOX}.then((count) => count === 0)", seconds=seconds)


def findings_by_item(server, assessment_id: int) -> dict:
    with server.app.app_context():
        return {
            f.item_id: (f.outcome, f.note, f.updated_by.username)
            for f in db.session.scalars(db.select(Finding).filter_by(assessment_id=assessment_id))
        }


def times_applied(server, base: str, item_id: str) -> int:
    """How many times the server recorded a result for the item (its audit trail says)."""
    with server.app.app_context():
        return (
            db.session.query(AuditEvent)
            .filter_by(assessment_id=assessment_id_of(base), subject=item_id, action="finding.set")
            .count()
        )


def assessment_id_of(base: str) -> int:
    return int(base.rsplit("/", 1)[1])


COUNT_CONFIRMATIONS = """window.confirmations = 0;
document.addEventListener("sync:confirmed", () => { window.confirmations += 1; });"""


@pytest.mark.parametrize("delay", [1, 10])
def test_a_note_typed_while_a_save_is_on_its_way_is_kept_whole(page, demo_data, delay):
    page.add_init_script(COUNT_CONFIRMATIONS)
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    arrived = slow_down_writes(demo_data.app, delay)
    parts = ["二楼消防通道", "堆放杂物，", "安全出口标志不亮"]
    page.click("label[for=outcome-zero]")
    page.locator("#note").press_sequentially(parts[0], delay=60)
    # The assessor pauses longer than the settle time: the note so far goes, and is on its way
    # while the next words are typed; the answer to it comes while the assessor is still writing.
    wait_for_server(page, lambda: arrived)
    page.locator("#note").press_sequentially(parts[1], delay=60)
    wait_until(page, "window.confirmations >= 1", seconds=30 + delay)
    page.locator("#note").press_sequentially(parts[2], delay=60)
    expect(page.locator("#note")).to_have_value("".join(parts))
    wait_until_outbox_empty(page, seconds=60 + 4 * delay)
    expect(page.locator("#note")).to_have_value("".join(parts))
    expect(page.locator("#item-status .saved")).to_be_visible()
    assert server_finding(demo_data, assessment_id_of(base), item_id) == ("zero", "".join(parts))


def test_changes_made_while_saves_take_seconds_survive_tapping_next_at_once(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    slow_down_writes(demo_data.app, 5)
    entered = {}
    for number in range(4):
        item_id = page.url.rsplit("/", 1)[1]
        page.click("label[for=outcome-full]")
        page.fill("#note", f"第 {number + 1} 项已核对")
        entered[item_id] = ("full", f"第 {number + 1} 项已核对", "assessor1")
        go_to_next_item(page)
    wait_until_outbox_empty(page, 120)
    stored = findings_by_item(demo_data, assessment_id_of(base))
    assert {item: stored.get(item) for item in entered} == entered


def test_a_server_that_accepts_but_never_answers_leaves_the_change_waiting_then_applies_it_once(
    page, demo_data
):
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    release = swallow_answers(demo_data.app)
    try:
        page.click("label[for=outcome-full]")
        expect(page.locator("#item-status .pending")).to_have_text("已存于本机，尚未同步。", timeout=30_000)
        expect(page.locator("#item-status")).to_contain_text("服务器没有及时应答", timeout=30_000)
        expect(page.locator("#sync-indicator .sync-summary")).to_contain_text("连不上服务器")
        expect(page.locator("#sync-indicator .sync-summary")).to_contain_text("1 项待同步")
    finally:
        release.set()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_synced(page)
    expect(page.locator("#sync-indicator .sync-summary")).to_contain_text("在线")
    assert server_finding(demo_data, assessment_id_of(base), item_id) == ("full", "")
    assert times_applied(demo_data, base, item_id) == 1


def test_an_answer_that_stalls_after_its_headers_is_given_up_and_the_change_applied_once(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    release = stall_first_write_answer(demo_data.app)
    try:
        page.click("label[for=outcome-full]")
        expect(page.locator("#item-status")).to_contain_text("服务器没有及时应答", timeout=40_000)
        wait_until_outbox_empty(page)
    finally:
        release.set()
    expect(page.locator("#item-status .saved")).to_be_visible()
    assert server_finding(demo_data, assessment_id_of(base), item_id) == ("full", "")
    assert times_applied(demo_data, base, item_id) == 1


def test_a_server_error_on_a_tap_keeps_the_change_and_sends_it_again(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    failed = fail_writes(demo_data.app, 2)
    page.click("label[for=outcome-zero]")
    page.fill("#note", "数据库故障时记录")
    wait_until_outbox_empty(page)
    assert failed, "the server failed the first writes"
    assert server_finding(demo_data, assessment_id_of(base), item_id) == ("zero", "数据库故障时记录")
    page.reload()
    expect(page.locator("#outcome-zero")).to_be_checked()
    expect(page.locator("#note")).to_have_value("数据库故障时记录")


def test_another_user_on_the_same_phone_never_sends_the_first_users_changes(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    page.fill("#note", "王建国离线记录")
    expect(page.locator("#item-status .pending")).to_be_visible()
    blocked = demo_data.app.wsgi_app

    def refuse_writes(environ, start_response):
        if is_write(environ):
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "maintenance"}']
        return blocked(environ, start_response)

    demo_data.app.wsgi_app = refuse_writes
    page.context.set_offline(False)
    page.get_by_role("button", name="退出").click()
    page.locator("#logout-dialog").get_by_role("button", name="仍然退出").click()
    page.wait_for_url(re.compile("/login"))
    demo_data.app.wsgi_app = blocked

    log_in(page, demo_data.url, "assessor2")
    page.goto(f"{base}/index")
    expect(page.locator("#sync-indicator .sync-summary")).to_contain_text("在线")
    wait_until_synced(page)
    assert server_finding(demo_data, assessment_id_of(base), item_id) is None
    assert page.evaluate(COUNT_OUTBOX) == 1
    page.locator("#sync-indicator summary").click()
    expect(page.locator("#sync-indicator .others-waiting")).to_contain_text("王建国")

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile("/login"))
    log_in(page, demo_data.url, "assessor1")
    wait_until_outbox_empty(page)
    stored = findings_by_item(demo_data, assessment_id_of(base))
    assert stored[item_id] == ("zero", "王建国离线记录", "assessor1")
    with demo_data.app.app_context():
        second = db.session.scalar(db.select(User).filter_by(username="assessor2"))
        assert not db.session.query(AuditEvent).filter_by(user_id=second.id).count()


def test_the_home_page_and_an_assessment_open_offline_from_the_phones_fresh_copy(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    page.click("label[for=outcome-zero]")
    page.fill("#note", "在线时记录")
    # The bar says the change waits a moment after the item does: wait for the item's own word.
    expect(page.locator("#item-status .saved")).to_be_visible(timeout=30_000)
    wait_until_synced(page)
    page.goto(f"{demo_data.url}/assess/")
    expect(page.locator("h1")).to_have_text("进行中的评估")
    # The item's copy is not fetched again: the page shows the answer the phone kept.
    wait_until(
        page,
        """async (url) => Boolean(await caches.match("/assess/")) && Boolean(await caches.match(url))""",
        f"{base}/items/{item_id}",
    )
    page.context.set_offline(True)
    page.goto(f"{demo_data.url}/")
    expect(page.locator("h1")).to_have_text("进行中的评估")
    page.get_by_role("link", name=re.compile("上海市机电")).click()
    expect(page.locator("h1")).to_have_text("评估表目录")
    page.goto(f"{base}/items/{item_id}")
    expect(page.locator("#outcome-zero")).to_be_checked()
    expect(page.locator("#note")).to_have_value("在线时记录")


def count_page_gets(app) -> list:
    """Every page (not fragment) GET the server receives, from a tab or the service worker."""
    inner = app.wsgi_app
    received = []

    def counting(environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and not environ.get("HTTP_HX_REQUEST"):
            received.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = counting
    return received


def test_results_confirmed_on_pages_left_before_the_sync_ended_show_offline(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    arrived = slow_down_writes(demo_data.app, 2)
    tapped = []
    for _ in range(2):
        tapped.append(page.url.rsplit("/", 1)[1])
        page.click("label[for=outcome-full]")
        # Leave the page while its change is on its way: the next page's engine confirms it.
        sent_before = len(arrived)
        wait_for_server(page, lambda sent_before=sent_before: len(arrived) > sent_before)
        go_to_next_item(page)
    gets = count_page_gets(demo_data.app)
    wait_until_outbox_empty(page)
    wait_until(
        page,
        """async ([url, items]) => {
            const index = await caches.match(url);
            const html = new DOMParser().parseFromString(index ? await index.text() : "", "text/html");
            return items.every((id) => html.querySelector(`li[data-item-id="${id}"] .badge.full`));
        }""",
        [f"{base}/index", tapped],
    )
    assert not [path for path in gets if "/items/" in path], "no item page was fetched again"

    page.context.set_offline(True)
    for item_id in tapped:
        page.goto(f"{base}/items/{item_id}")
        expect(page.locator("#outcome-full")).to_be_checked()
        expect(page.locator("#item-status .saved")).to_be_visible()
    page.goto(f"{base}/index")
    for item_id in tapped:
        expect(page.locator(f"li[data-item-id='{item_id}'] .badge.full")).to_be_visible()


def test_starting_an_assessment_offline_is_refused_with_a_clear_message(page, demo_data):
    open_demo_assessment(page, demo_data)
    page.goto(f"{demo_data.url}/assess/")
    page.fill("#station-search", "GZ003")
    start = page.locator("#station-results button").first
    expect(start).to_be_visible()
    page.context.set_offline(True)
    start.click()
    expect(page.locator("#start-offline")).to_contain_text("需要连接服务器")
    expect(page.locator("h1")).to_have_text("进行中的评估")


def test_logging_out_with_the_server_unreachable_is_refused_and_keeps_everything(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    page.context.set_offline(True)
    page.get_by_role("button", name="退出").click()
    expect(page.locator("#logout-dialog .logout-failed")).to_contain_text("未退出")
    caches = page.evaluate("caches.keys()")
    assert [name for name in caches if name.startswith("assessment-")]
    page.context.set_offline(False)
    page.goto(f"{base}/index")
    expect(page.locator("h1")).to_have_text("评估表目录")
    assert "/login" not in page.url


def test_a_real_reconnect_sends_at_once_without_waiting_for_the_backoff(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    failed_probes = []
    page.on("requestfailed", lambda request: "/api/me" in request.url and failed_probes.append(request.url))
    page.context.set_offline(True)
    page.click("label[for=outcome-full]")
    # After four failed probes (1 + 2 + 4 + 8 s apart) the engine's next try is 16 s away.
    wait_for_server(page, lambda: len(failed_probes) >= 4, seconds=60)
    page.context.set_offline(False)
    wait_until_outbox_empty(page, seconds=8)
    assert server_finding(demo_data, assessment_id_of(base), item_id) == ("full", "")


def test_logging_out_anyway_with_the_server_unreachable_is_refused_and_keeps_what_waits(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    page.fill("#note", "退出前记录")
    wait_until(page, f"{COUNT_OUTBOX}.then((count) => count === 1)")
    page.get_by_role("button", name="退出").click()
    dialog = page.locator("#logout-dialog")
    dialog.get_by_role("button", name="仍然退出").click()
    expect(dialog.locator(".logout-failed")).to_contain_text("未退出")
    assert "/login" not in page.url
    assert page.evaluate(COUNT_OUTBOX) == 1
    assert [name for name in page.evaluate("caches.keys()") if name.startswith("assessment-")]

    dialog.get_by_role("button", name="取消").click()
    page.context.set_offline(False)
    wait_until_outbox_empty(page)
    assert server_finding(demo_data, assessment_id_of(base), item_id) == ("zero", "退出前记录")
    page.goto(f"{base}/index")
    expect(page.locator("h1")).to_have_text("评估表目录")


def test_the_outbox_works_when_the_service_worker_cannot_be_installed(page, demo_data):
    break_the_service_worker(demo_data.app)
    log_in(page, demo_data.url, "assessor1")
    page.get_by_role("link", name=re.compile("上海市机电")).click()
    page.wait_for_url(re.compile(r"/items/"))
    base = page.url.rsplit("/items/", 1)[0]
    item_id = page.url.rsplit("/", 1)[1]
    page.locator("#sync-indicator summary").click()
    expect(page.locator("#sync-indicator")).to_contain_text("未能安装离线功能")
    assert page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r === undefined)")
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    page.fill("#note", "没有离线功能也不丢")
    expect(page.locator("#item-status .pending")).to_be_visible()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_outbox_empty(page)
    assert server_finding(demo_data, assessment_id_of(base), item_id) == ("zero", "没有离线功能也不丢")


def test_logging_out_is_not_delayed_when_the_service_worker_could_not_be_installed(page, demo_data):
    break_the_service_worker(demo_data.app)
    log_in(page, demo_data.url, "assessor1")
    expect(page.locator("#sync-indicator .sync-summary")).to_contain_text("在线")
    page.locator("#sync-indicator summary").click()
    expect(page.locator("#sync-indicator")).to_contain_text("未能安装离线功能")
    started = time.monotonic()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile("/login"))
    assert time.monotonic() - started < 6, "logging out waited for a service worker that never came"


def test_a_photo_and_its_caption_waiting_count_as_one_photo(page, demo_data, tmp_path):
    source = tmp_path / "door.jpg"
    Image.new("RGB", (1200, 900), (120, 140, 160)).save(source, quality=90)
    open_demo_assessment(page, demo_data)
    page.context.set_offline(True)
    page.set_input_files("[data-photos] input[multiple]", str(source))
    job = page.locator(".photo-job").first
    expect(job).to_have_attribute("data-state", "queued")
    job.locator(".photo-job-caption").fill("安全出口门被锁")
    job.locator(".photo-job-caption").blur()
    wait_until(page, f"{COUNT_OUTBOX}.then((count) => count === 2)")
    expect(page.locator("#sync-indicator .sync-summary")).to_have_text(re.compile("· 1 张照片待同步$"))


def test_a_caption_and_a_no_photo_reason_entered_offline_reach_the_server(page, demo_data, tmp_path):
    source = tmp_path / "door.jpg"
    Image.new("RGB", (1200, 900), (120, 140, 160)).save(source, quality=90)
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    page.context.set_offline(True)
    page.click("label[for=outcome-zero]")
    page.set_input_files("[data-photos] input[multiple]", str(source))
    job = page.locator(".photo-job").first
    expect(job).to_have_attribute("data-state", "queued")
    job.locator(".photo-job-caption").fill("安全出口门被锁")
    job.locator(".photo-job-caption").blur()
    page.evaluate("document.querySelector('details.no-photo').open = true")
    page.fill("[data-photos] textarea[name=no_photo_reason]", "另一处禁止拍照")
    page.click("[data-no-photo-form] button[type=submit]")
    wait_until(page, f"{COUNT_OUTBOX}.then((count) => count === 4)")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_outbox_empty(page)
    expect(page.locator("[data-reason-state]")).to_have_text("已保存")
    with demo_data.app.app_context():
        finding = db.session.scalar(
            db.select(Finding).filter_by(assessment_id=assessment_id_of(base), item_id=item_id)
        )
        assert [p.caption for p in finding.photos] == ["安全出口门被锁"]
        assert finding.no_photo_reason == "另一处禁止拍照"


BLOBS_REFUSED = """
for (const method of ["add", "put"]) {
  const original = IDBObjectStore.prototype[method];
  IDBObjectStore.prototype[method] = function (value, key) {
    if (value && value.blob instanceof Blob) throw new DOMException("ephemeral session", "DataCloneError");
    return original.call(this, value, key);
  };
}
"""


def test_a_browser_that_cannot_keep_photos_says_so_before_the_photo_is_taken(page, demo_data, tmp_path):
    source = tmp_path / "door.jpg"
    Image.new("RGB", (1200, 900), (120, 140, 160)).save(source, quality=90)
    page.add_init_script(BLOBS_REFUSED)
    open_demo_assessment(page, demo_data)
    expect(page.locator(".photo-memory-warning")).to_contain_text("无法在本机保存照片")
    page.set_input_files("[data-photos] input[multiple]", str(source))
    job = page.locator(".photo-job").first
    expect(job).to_have_attribute("data-state", "saved")
    with demo_data.app.app_context():
        assert db.session.query(Photo).count() >= 1


# Holds the sync engine's next read of the outbox until the test releases it, so that a change can
# be made in the moment between the engine finding nothing to send and the engine going idle.
HOLD_THE_SYNC_READ = """
window.__syncRead = { armed: false, held: false, release: null };
const openTransaction = IDBDatabase.prototype.transaction;
IDBDatabase.prototype.transaction = function (...args) {
  const tx = openTransaction.apply(this, args);
  const hold = window.__syncRead;
  if (!hold.armed || args[1] !== "readonly" || !String(new Error().stack).includes("flushLocked")) return tx;
  hold.armed = false;
  const gate = new Promise((resolve) => { hold.release = resolve; });
  Object.defineProperty(tx, "oncomplete", {
    set(handler) {
      tx.addEventListener("complete", (event) => { hold.held = true; gate.then(() => handler(event)); });
    },
  });
  return tx;
};
"""


def test_a_change_made_while_the_engine_finds_nothing_to_send_is_sent_at_once(page, demo_data):
    page.add_init_script(HOLD_THE_SYNC_READ)
    log_in(page, demo_data.url, "assessor1")
    page.goto(in_progress_item_url(demo_data))
    wait_until_outbox_empty(page)
    page.evaluate("window.__syncRead.armed = true; window.dispatchEvent(new Event('online'))")
    wait_until(page, "window.__syncRead.held")

    page.click("label[for=outcome-full]")
    wait_until(page, f"{COUNT_OUTBOX}.then((count) => count === 1)")
    page.evaluate("window.__syncRead.release()")

    # The engine's next look of its own would come with the 30 s probe: far too late for a tap.
    wait_until_outbox_empty(page, seconds=15)
    with demo_data.app.app_context():
        assert in_progress_finding(demo_data).outcome == "full"


def outbox_holds(page, count: int) -> None:
    wait_until(page, f"{COUNT_OUTBOX}.then((n) => n === {count})")


def test_not_applicable_without_a_reason_asks_for_it_inline_and_is_sent_only_with_it(page, demo_data):
    log_in(page, demo_data.url, "assessor1")
    base = start_assessment(page, "CD004")
    page.goto(f"{base}/items/6.3.2")
    sent = record_finding_writes(demo_data.app)
    page.click("label[for=outcome-not_applicable]")
    status = page.locator("#item-status")
    expect(status.locator(".prompt")).to_contain_text("为什么本项不适用？请在备注中写明理由")
    expect(page.locator("#note")).to_be_focused()
    outbox_holds(page, 1)
    summary = page.locator("#sync-indicator .sync-summary")
    expect(summary).to_contain_text("1 项待补充")
    expect(summary).not_to_contain_text("待同步")

    page.reload()
    expect(page.locator("#outcome-not_applicable")).to_be_checked()
    expect(status.locator(".prompt")).to_contain_text("为什么本项不适用")
    expect(status.locator(".error")).to_have_count(0)
    page.fill("#note", "本所鉴定职业均有国家题库")
    expect(status.locator(".saved")).to_be_visible()
    expect(status.locator(".prompt, .error")).to_have_count(0)
    outbox_holds(page, 0)
    reason = ("not_applicable", "本所鉴定职业均有国家题库")
    assert server_finding(demo_data, assessment_id_of(base), "6.3.2") == reason
    assert len(results_in(sent)) == 1, "only the change with its reason went to the server"


def test_a_note_written_before_the_result_waits_on_the_phone_for_the_result(page, demo_data):
    log_in(page, demo_data.url, "assessor1")
    base = start_assessment(page, "CD004")
    sent = record_finding_writes(demo_data.app)
    status = page.locator("#item-status")
    page.fill("#note", "先写备注")
    expect(status.locator(".prompt")).to_contain_text("请选择评估结果")
    outbox_holds(page, 1)
    page.fill("#note", "")
    outbox_holds(page, 0)
    page.reload()
    expect(page.locator("#note")).to_have_value("")

    page.fill("#note", "所长任命文件齐全")
    outbox_holds(page, 1)
    page.reload()
    expect(page.locator("#note")).to_have_value("所长任命文件齐全")
    expect(status.locator(".error")).to_have_count(0)
    page.click("label[for=outcome-full]")
    expect(status.locator(".saved")).to_be_visible()
    outbox_holds(page, 0)
    assert server_finding(demo_data, assessment_id_of(base), "1.1.1") == ("full", "所长任命文件齐全")
    assert len(results_in(sent)) == 1, "the note went to the server once, with its result"


# The outbox as the previous release left it on a phone: version 1, no index on `key`.
OLD_OUTBOX_WITH_ONE_ENTRY = """(entry) => new Promise((resolve, reject) => {
  const opened = indexedDB.open("assessment-outbox", 1);
  opened.onupgradeneeded = () => {
    opened.result.createObjectStore("entries", { keyPath: "seq", autoIncrement: true })
      .createIndex("assessment", "assessment_id");
  };
  opened.onsuccess = () => {
    const tx = opened.result.transaction("entries", "readwrite");
    tx.objectStore("entries").add(entry);
    tx.oncomplete = () => { opened.result.close(); resolve(true); };
    tx.onerror = () => reject(tx.error);
  };
})"""


def test_entries_waiting_in_the_previous_releases_outbox_are_kept_and_sent(page, demo_data):
    assessment_id = in_progress_assessment_id(demo_data)
    with demo_data.app.app_context():
        author = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        author_id, author_name = author.id, author.name
    item_id = "1.1.1"
    now = "2026-01-01T00:00:00.000Z"
    page.goto(f"{demo_data.url}/login")
    page.evaluate(
        OLD_OUTBOX_WITH_ONE_ENTRY,
        {
            "kind": "finding",
            "key": f"finding:{assessment_id}:{item_id}",
            "author": author_id,
            "author_name": author_name,
            "assessment_id": str(assessment_id),
            "item_id": item_id,
            "mutation_id": "6f1c2a4e-1d2b-4c3d-8e4f-5a6b7c8d9e0f",
            "state": "pending",
            "error": None,
            "payload": {"outcome": "zero", "inputs": None, "note": "旧版本留下的记录"},
            "created_at": now,
            "updated_at": now,
        },
    )
    log_in(page, demo_data.url, "assessor1")
    wait_until_outbox_empty(page)
    assert server_finding(demo_data, assessment_id, item_id) == ("zero", "旧版本留下的记录")
    page.goto(f"{demo_data.url}/assess/{assessment_id}/items/{item_id}")
    page.click("label[for=outcome-full]")
    wait_until_outbox_empty(page)
    assert server_finding(demo_data, assessment_id, item_id) == ("full", "旧版本留下的记录")


def test_a_page_opened_offline_from_an_older_copy_counts_what_was_scored_since(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    first = page.url.rsplit("/", 1)[1]
    count = page.locator("#progress .progress-count")
    before = int(count.inner_text().split("/")[0])
    go_to_next_item(page)
    page.click("label[for=outcome-full]")
    expect(page.locator("#item-status .saved")).to_be_visible()
    expect(count).to_have_text(re.compile(rf"^{before + 1}/"))
    page.context.set_offline(True)
    page.goto(f"{base}/items/{first}")
    expect(count).to_have_text(re.compile(rf"^{before + 1}/"))


def finding_events(server, assessment_id: int) -> int:
    with server.app.app_context():
        return (
            db.session.query(AuditEvent).filter_by(assessment_id=assessment_id, action="finding.set").count()
        )


def score_offline(page, count: int) -> list[str]:
    """Score `count` items 未发现问题 one after another with the phone offline; answers their ids."""
    page.context.set_offline(True)
    scored = []
    for number in range(count):
        if number:
            go_to_next_item(page)
        scored.append(page.url.rsplit("/", 1)[1])
        page.click("label[for=outcome-full]")
        expect(page.locator("#item-status .pending")).to_be_visible()
    wait_until(page, ALL_SETTLED)
    return scored


# The engine sends a change once it has rested half a second: as a phone's would have, long
# before it comes back online.
ALL_SETTLED = """new Promise((resolve) => {
  const opened = indexedDB.open("assessment-outbox");
  opened.onsuccess = () => {
    const read = opened.result.transaction("entries").objectStore("entries").getAll();
    read.onsuccess = () => resolve(read.result.every((e) => Date.now() - Date.parse(e.updated_at) > 600));
  };
})"""


def test_results_scored_offline_reach_the_server_in_one_request_each_applied_once(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    before = finding_events(demo_data, assessment_id_of(base))
    sent = record_finding_writes(demo_data.app)
    scored = score_offline(page, 5)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_outbox_empty(page)
    assert sent == [scored], "one request carried the five results, in the order they were made"
    stored = findings_by_item(demo_data, assessment_id_of(base))
    assert [stored[item][0] for item in scored] == ["full"] * 5
    assert finding_events(demo_data, assessment_id_of(base)) - before == 5
    expect(page.locator("#item-status .saved")).to_be_visible()


def test_results_whose_request_failed_are_sent_again_one_at_a_time(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    before = finding_events(demo_data, assessment_id_of(base))
    inner = demo_data.app.wsgi_app
    refused = []

    def refuse_the_first_request_of_several(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/findings") and not refused:
            refused.append(environ["PATH_INFO"])
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "busy"}']
        return inner(environ, start_response)

    demo_data.app.wsgi_app = refuse_the_first_request_of_several
    sent = record_finding_writes(demo_data.app)
    scored = score_offline(page, 3)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_outbox_empty(page)
    assert sent == [scored] + [[item] for item in scored]
    assert finding_events(demo_data, assessment_id_of(base)) - before == 3


def a_portal_page(route) -> None:
    """Venue Wi-Fi that answers every request with its own login page: 200, HTML."""
    route.fulfill(status=200, content_type="text/html", body="<html><body>请先登录场馆 Wi-Fi</body></html>")


def test_a_wifi_login_page_answering_a_save_confirms_nothing_and_the_change_waits(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    item_id = page.url.rsplit("/", 1)[1]
    before = server_finding(demo_data, assessment_id_of(base), item_id)
    writes = re.compile(r".*/api/assessments/\d+/findings(/.*)?$")
    page.route(writes, a_portal_page)
    page.click("label[for=outcome-zero]")
    page.fill("#note", "考场门口未张贴考场规则")
    expect(page.locator("#item-status")).to_contain_text("没有连接：连上服务器后发送", timeout=30_000)
    expect(page.locator("#item-status .pending")).to_be_visible()
    outbox_holds(page, 1)
    assert server_finding(demo_data, assessment_id_of(base), item_id) == before

    page.unroute(writes)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_outbox_empty(page)
    assert server_finding(demo_data, assessment_id_of(base), item_id) == ("zero", "考场门口未张贴考场规则")


def test_a_wifi_login_page_answering_results_sent_together_confirms_none_of_them(page, demo_data):
    base = open_demo_assessment(page, demo_data)
    writes = re.compile(r".*/api/assessments/\d+/findings$")
    page.route(writes, a_portal_page)
    scored = score_offline(page, 3)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#item-status")).to_contain_text("没有连接：连上服务器后发送", timeout=30_000)
    outbox_holds(page, 3)
    page.unroute(writes)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_outbox_empty(page)
    stored = findings_by_item(demo_data, assessment_id_of(base))
    assert [stored[item][0] for item in scored] == ["full"] * 3
