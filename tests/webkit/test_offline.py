"""WebKit, offline: score with the server stopped, reload from the phone's copy, sync when it is back."""

import threading

from selenium.webdriver.common.by import By
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Finding
from tests.browser.test_offline import record_finding_writes
from tests.webkit.conftest import log_in, wait_for
from tests.webkit.test_walk import visible

OUTBOX_COUNT = """
const done = arguments[arguments.length - 1];
const opened = indexedDB.open("assessment-outbox");
opened.onsuccess = () => {
  const counted = opened.result.transaction("entries").objectStore("entries").count();
  counted.onsuccess = () => { opened.result.close(); done(counted.result); };
};
opened.onerror = () => done(-1);
"""

# The engine sends a change once it has rested half a second, as it would long before the
# network comes back on a phone.
ENTRIES_SETTLED = """
const done = arguments[arguments.length - 1];
const opened = indexedDB.open("assessment-outbox");
opened.onsuccess = () => {
  const read = opened.result.transaction("entries").objectStore("entries").getAll();
  read.onsuccess = () => {
    opened.result.close();
    done(read.result.every((e) => Date.now() - Date.parse(e.updated_at) > 600));
  };
};
opened.onerror = () => done(false);
"""


def restart(server):
    """The same app on the same port again, as when the station's network comes back."""
    again = make_server("127.0.0.1", server.server_port, server.app, threaded=True)
    threading.Thread(target=again.serve_forever, daemon=True).start()
    return again


def stored(server, assessment_id: int, item_id: str):
    with server.app.app_context():
        finding = db.session.scalar(
            db.select(Finding).filter_by(assessment_id=assessment_id, item_id=item_id)
        )
        return (finding.outcome, finding.note, finding.updated_by.username) if finding else None


def test_scoring_in_webkit_with_the_server_stopped_survives_a_reload_and_syncs_once_it_is_back(
    webkit, demo_data
):
    log_in(webkit, demo_data.url, "assessor1")
    wait_for(webkit, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "上海市机电"), "the home page").click()
    wait_for(webkit, lambda d: "/items/" in d.current_url, "the walk opens at an item")
    wait_for(webkit, visible(".offline-status.ready"), "the assessment kept on the phone", timeout=60)
    item_url = webkit.current_url
    base, item_id = item_url.rsplit("/items/", 1)
    assessment_id = int(base.rsplit("/", 1)[1])

    demo_data.shutdown()
    back = None
    try:
        webkit.find_element(By.CSS_SELECTOR, "label[for=outcome-zero]").click()
        webkit.find_element(By.ID, "note").send_keys("离线：灭火器过期")
        wait_for(webkit, visible("#item-status .pending"), "the change kept on the phone")
        wait_for(
            webkit,
            lambda d: "连不上服务器" in d.find_element(By.CSS_SELECTOR, "#sync-indicator summary").text,
            "the status bar says the server cannot be reached",
            timeout=40,
        )
        assert webkit.execute_async_script(OUTBOX_COUNT) == 1

        webkit.get(item_url)
        wait_for(webkit, visible("#item-status .pending"), "the reloaded page shows what waits")
        assert webkit.find_element(By.ID, "outcome-zero").is_selected()
        assert webkit.find_element(By.ID, "note").get_attribute("value") == "离线：灭火器过期"
        assert stored(demo_data, assessment_id, item_id) is None

        back = restart(demo_data)
        wait_for(webkit, visible("#item-status .saved"), "synced once the server answers", timeout=60)
        assert webkit.execute_async_script(OUTBOX_COUNT) == 0
        assert stored(demo_data, assessment_id, item_id) == ("zero", "离线：灭火器过期", "assessor1")
    finally:
        if back is not None:
            back.shutdown()


def test_results_scored_in_webkit_with_the_server_stopped_go_in_one_request_once_it_is_back(
    webkit, demo_data
):
    log_in(webkit, demo_data.url, "assessor1")
    wait_for(webkit, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "上海市机电"), "the home page").click()
    wait_for(webkit, lambda d: "/items/" in d.current_url, "the walk opens at an item")
    wait_for(webkit, visible(".offline-status.ready"), "the assessment kept on the phone", timeout=60)
    assessment_id = int(webkit.current_url.rsplit("/items/", 1)[0].rsplit("/", 1)[1])
    sent = record_finding_writes(demo_data.app)

    demo_data.shutdown()
    back = None
    try:
        scored = []
        for number in range(3):
            if number:
                shown = webkit.current_url
                webkit.find_element(By.CSS_SELECTOR, ".walk-nav a[rel=next]").click()
                wait_for(webkit, lambda d, shown=shown: d.current_url != shown, "the next item opens")
                wait_for(webkit, visible("label[for=outcome-full]"), "its outcomes are shown")
            scored.append(webkit.current_url.rsplit("/", 1)[1])
            webkit.find_element(By.CSS_SELECTOR, "label[for=outcome-full]").click()
            wait_for(webkit, visible("#item-status .pending"), "the change kept on the phone")
        assert webkit.execute_async_script(OUTBOX_COUNT) == 3
        wait_for(webkit, lambda d: d.execute_async_script(ENTRIES_SETTLED), "the changes at rest")

        back = restart(demo_data)
        wait_for(webkit, visible("#item-status .saved"), "synced once the server answers", timeout=60)
        wait_for(webkit, lambda d: d.execute_async_script(OUTBOX_COUNT) == 0, "the outbox empty")
        assert sent == [scored], "one request carried the three results, in their order"
        assert [stored(demo_data, assessment_id, item)[0] for item in scored] == ["full"] * 3
    finally:
        if back is not None:
            back.shutdown()
