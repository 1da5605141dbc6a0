"""Phone-first reads in WebKit: once an assessment is kept, 下一项 answers from the phone
however slow the server is (here it holds each item page until the test ends); with the server
gone, the progress, the index and the summary count the results waiting on the phone, and the
kept pages open."""

import re
import threading
import time

from selenium.webdriver.common.by import By

from tests.browser.test_phone_reads import HeldPages, kept_urls
from tests.webkit.conftest import WAIT_SECONDS, log_in, wait_for
from tests.webkit.test_offline import OUTBOX_COUNT
from tests.webkit.test_walk import visible

# Long before a server answering in 10 s could: a page from the phone shows in a fraction of a second.
FROM_THE_PHONE_S = 5
NOT_KEPT = "本机没有保存此页面"
KEEP_LABEL = ".offline-status .offline-label"
KEPT_WHOLE = "已保存 63/63，可离线使用"
# The walk's first item page is one of them (the phone opens it before the keep starts).
ANSWERED_BEFORE_THE_LINK_GIVES_OUT = 14
KEPT_BEFORE_THE_LINK_GAVE_OUT = ANSWERED_BEFORE_THE_LINK_GIVES_OUT - 1


class LinkGivingOut:
    """GETs of the pages whose path matches `pattern`: the first `answered` are answered, then the
    link gives out (each is answered 503) until `recover()`; the ones asked for after that are
    answered and noted in `fetched`."""

    def __init__(self, app, pattern: str, answered: int):
        self.pattern = re.compile(pattern)
        self.left = answered
        self.recovered = False
        self.fetched = []
        self.lock = threading.Lock()
        inner = app.wsgi_app

        def giving_out(environ, start_response):
            asked = environ["REQUEST_METHOD"] == "GET" and self.pattern.search(environ["PATH_INFO"])
            if asked and not self.passes(environ["PATH_INFO"]):
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"the link gave out"]
            return inner(environ, start_response)

        app.wsgi_app = giving_out

    def passes(self, path: str) -> bool:
        with self.lock:
            if self.recovered:
                self.fetched.append(path)
                return True
            self.left -= 1
            return self.left >= 0

    def recover(self) -> None:
        with self.lock:
            self.recovered = True


def open_kept_assessment(webkit, server) -> str:
    """Log in as assessor1, open the demo's assessment in progress, wait until it is kept on the phone."""
    log_in(webkit, server.url, "assessor1")
    wait_for(webkit, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "上海市机电"), "the home page").click()
    wait_for(webkit, lambda d: "/items/" in d.current_url, "the walk opens at an item")
    # Saving about 60 pages on the phone takes a while on a loaded two-core machine.
    wait_for(webkit, visible(".offline-status.ready"), "the assessment kept on the phone", timeout=90)
    return webkit.current_url.rsplit("/items/", 1)[0]


def tap_next(webkit, timeout: float = WAIT_SECONDS) -> str:
    """Tap 下一项 and wait until the address is the next item's; its id."""
    link = webkit.find_element(By.CSS_SELECTOR, ".walk-nav a[rel=next]")
    target = link.get_attribute("href")
    link.click()
    wait_for(
        webkit,
        lambda d: d.current_url.endswith(target.rsplit("/items/", 1)[1]),
        "the next item's address",
        timeout,
    )
    return target.rsplit("/", 1)[1]


def item_shown(item_id: str):
    """The item page of `item_id` with its outcome buttons, once it is the page showing."""

    def condition(driver):
        here = driver.current_url.endswith(f"/items/{item_id}")
        loaded = here and driver.execute_script("return document.readyState") == "complete"
        return loaded and visible("label[for=outcome-full]")(driver)

    return condition


def text_is(selector: str, text: str):
    return lambda driver: driver.find_element(By.CSS_SELECTOR, selector).text == text


def item_pages(server, base: str) -> int:
    """How many of the pages a keep stores are items (the items come first in its list)."""
    return sum("/items/" in url for url in kept_urls(server, int(base.rsplit("/", 1)[1])))


def label_is(text: str):
    """The keep's line says `text`, read as written (WebKit's driver reads this line as empty);
    for Firefox's driver too."""
    return lambda driver: driver.find_element(By.CSS_SELECTOR, KEEP_LABEL).get_property("textContent") == text


def page_opened(driver):
    heading = visible("#main h1, #item-title")(driver)
    return heading and NOT_KEPT not in driver.find_element(By.TAG_NAME, "body").text


def test_next_item_on_a_server_slower_than_10_s_answers_from_the_phone_in_webkit(webkit, demo_data):
    open_kept_assessment(webkit, demo_data)
    # Held well past 10 s so that, however slowly a loaded machine walks three items, no page the
    # server was asked for has come back: each one shown came from the phone. Released at the end.
    held = HeldPages(demo_data.app, r"/items/", seconds=60)
    try:
        for _ in range(3):
            item_id = tap_next(webkit, FROM_THE_PHONE_S)
            wait_for(webkit, item_shown(item_id), f"item {item_id} from the phone", timeout=FROM_THE_PHONE_S)
            assert webkit.find_element(By.ID, "outcome-full").is_enabled()
            assert held.answered == 0, "the item showed while the server still held its page"
        assert held.arrived >= 1, "the page shown from the phone is fetched again behind it"
    finally:
        held.released.set()


def test_offline_the_progress_index_and_summary_count_results_waiting_on_the_phone_in_webkit(
    webkit, demo_data
):
    base = open_kept_assessment(webkit, demo_data)
    first = webkit.current_url.rsplit("/", 1)[1]
    progress = "#progress .progress-count"
    scored, total = (int(n) for n in webkit.find_element(By.CSS_SELECTOR, progress).text.split("/"))

    demo_data.shutdown()
    wait_for(webkit, visible("label[for=outcome-full]"), "the outcome buttons").click()
    wait_for(webkit, visible("#item-status .pending"), "the change kept on the phone")
    second = tap_next(webkit)
    wait_for(webkit, item_shown(second), "the next item from the phone").click()
    wait_for(webkit, lambda d: d.execute_async_script(OUTBOX_COUNT) == 2, "both results in the outbox")

    webkit.get(webkit.current_url)
    counted = f"{scored + 2}/{total}"
    wait_for(webkit, text_is(progress, counted), f"progress {counted}")
    waiting = "#progress .waiting-count"
    wait_for(webkit, text_is(waiting, "2 项待同步"), "2 waiting")

    webkit.get(f"{base}/index")
    wait_for(webkit, text_is(progress, counted), "the index's progress")
    badge = f"li[data-item-id='{first}'] .badge.pending"
    wait_for(webkit, text_is(badge, "待同步"), "the item marked waiting")
    assert not webkit.find_element(
        By.CSS_SELECTOR, f"li[data-item-id='{first}'] [data-unscored-badge]"
    ).is_displayed()

    webkit.get(f"{base}/summary")
    open_items = f"还有 {total - scored - 2} 个小项未评分"
    wait_for(
        webkit,
        lambda d: open_items in d.find_element(By.CSS_SELECTOR, "#checklist [data-open-items]").text,
        open_items,
    )
    checklist_waiting = "#checklist .waiting-count"
    wait_for(webkit, text_is(checklist_waiting, "2 项待同步"), "summary")


def test_offline_after_a_keep_the_index_the_summary_and_items_open_in_webkit(webkit, demo_data):
    base = open_kept_assessment(webkit, demo_data)
    urls = kept_urls(demo_data, int(base.rsplit("/", 1)[1]))
    assert len(urls) == 63
    items = [url for url in urls if "/items/" in url]
    pages = [
        f"{base}/index",
        f"{base}/summary",
        *(demo_data.url + url for url in (items[0], items[30], items[-1])),
    ]

    demo_data.shutdown()
    for url in pages:
        webkit.get(url)
        wait_for(webkit, page_opened, f"{url} from the phone")


NAVIGATION_TYPE = "return performance.getEntriesByType('navigation')[0].type"
PAGE_TOKEN = "return document.querySelector('meta[name=\"csrf-token\"]').content"


def test_an_item_from_the_phone_takes_the_servers_new_token_without_loading_again(webkit, demo_data):
    """Every render signs the CSRF token anew (to the second), so the server's copy of a kept page
    differs there: the page takes the new token and stays as it is, not loaded again under the finger."""
    open_kept_assessment(webkit, demo_data)
    kept_by = time.time()
    wait_for(webkit, lambda d: time.time() >= kept_by + 1, "a render a second after the keep")
    target = webkit.find_element(By.CSS_SELECTOR, ".walk-nav a[rel=next]").get_attribute("href")
    held = HeldPages(demo_data.app, re.escape(target.split("/assess/", 1)[1]) + "$")
    try:
        item_id = tap_next(webkit)
        wait_for(webkit, item_shown(item_id), "the next item from the phone")
        kept_token = webkit.execute_script(f"window.__shownOnce = true; {PAGE_TOKEN}")
    finally:
        held.released.set()
    wait_for(webkit, lambda d: d.execute_script(PAGE_TOKEN) != kept_token, "the server's copy merged in")
    form_token = webkit.find_element(By.CSS_SELECTOR, "#item-form input[name=csrf_token]").get_attribute(
        "value"
    )
    assert form_token == webkit.execute_script(PAGE_TOKEN)
    wait_for(webkit, visible("label[for=outcome-full]"), "its outcomes").click()
    wait_for(webkit, visible("#item-status .saved"), "the result saved")
    assert webkit.execute_script("return window.__shownOnce === true"), "the page was loaded again"
    assert webkit.execute_script(NAVIGATION_TYPE) == "navigate"


def an_interrupted_keep_goes_on_to_63_of_63_when_opened_again(driver, server, go, address, wait) -> None:
    """The journey in any engine, from assessor1's home: `go(url)` opens a page, `address()` is the
    page's, `wait` is the engine's wait_for (the drivers of WebKit and Firefox find elements alike)."""
    link = LinkGivingOut(server.app, r"/items/", ANSWERED_BEFORE_THE_LINK_GIVES_OUT)
    wait(driver, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "上海市机电"), "the home page").click()
    wait(driver, lambda d: "/items/" in address(), "the walk opens at an item")
    base = address().rsplit("/items/", 1)[0]
    cut_short = f"已保存 {KEPT_BEFORE_THE_LINK_GAVE_OUT}/63"
    wait(driver, label_is(cut_short), "the keep stopped where the link gave out", timeout=90)
    assert not driver.find_elements(By.CSS_SELECTOR, ".offline-status.ready")

    link.recover()
    go(f"{base}/index")
    wait(driver, label_is(KEPT_WHOLE), "the keep gone on to the end", timeout=90)
    assert visible(".offline-status.ready")(driver)
    missing = item_pages(server, base) - KEPT_BEFORE_THE_LINK_GAVE_OUT
    assert len(link.fetched) <= missing + 1, f"the keep started again: {len(link.fetched)} pages"

    server.shutdown()
    go(f"{base}/items/9.2.1")
    wait(
        driver,
        lambda d: "投诉咨询电话" in d.find_element(By.ID, "item-title").text,
        "a late item from the phone",
    )


def test_an_interrupted_keep_goes_on_to_63_of_63_when_the_assessment_is_opened_again_in_webkit(
    webkit, demo_data
):
    log_in(webkit, demo_data.url, "assessor1")
    an_interrupted_keep_goes_on_to_63_of_63_when_opened_again(
        webkit, demo_data, webkit.get, lambda: webkit.current_url, wait_for
    )
