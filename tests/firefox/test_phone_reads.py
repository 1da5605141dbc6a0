"""Phone-first reads in Firefox ESR: once an assessment is kept, 下一项 answers from the phone
however slow the server is (here it holds each item page until the test ends); with the server
gone, the progress, the index and the summary count the results waiting on the phone, and the
kept pages open."""

from tests.browser.test_phone_reads import HeldPages, kept_urls
from tests.firefox.conftest import WAIT_SECONDS, By, log_in, visible, wait_for
from tests.webkit.test_offline import OUTBOX_COUNT
from tests.webkit.test_phone_reads import an_interrupted_keep_goes_on_to_63_of_63_when_opened_again

# Long before a server answering in 10 s could: a page from the phone shows in a fraction of a second.
FROM_THE_PHONE_S = 5
NOT_KEPT = "本机没有保存此页面"


def open_kept_assessment(firefox, server) -> str:
    """Log in as assessor1, open the demo's assessment in progress, wait until it is kept on the phone."""
    log_in(firefox, server.url, "assessor1")
    wait_for(firefox, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "上海市机电"), "the home page").click()
    wait_for(firefox, lambda d: "/items/" in d.get_url(), "the walk opens at an item")
    # Saving about 60 pages on the phone takes a while on a loaded two-core machine.
    wait_for(firefox, visible(".offline-status.ready"), "the assessment kept on the phone", timeout=90)
    return firefox.get_url().rsplit("/items/", 1)[0]


def tap_next(firefox, timeout: float = WAIT_SECONDS) -> str:
    """Tap 下一项 and wait until the address is the next item's; its id."""
    link = firefox.find_element(By.CSS_SELECTOR, ".walk-nav a[rel=next]")
    target = link.get_property("href")
    link.click()
    wait_for(
        firefox,
        lambda d: d.get_url().endswith(target.rsplit("/items/", 1)[1]),
        "the next item's address",
        timeout,
    )
    return target.rsplit("/", 1)[1]


def item_shown(item_id: str):
    """The item page of `item_id` with its outcome buttons, once it is the page showing."""

    def condition(driver):
        here = driver.get_url().endswith(f"/items/{item_id}")
        loaded = here and driver.execute_script("return document.readyState", sandbox=None) == "complete"
        return loaded and visible("label[for=outcome-full]")(driver)

    return condition


def text_is(selector: str, text: str):
    return lambda driver: driver.find_element(By.CSS_SELECTOR, selector).text == text


def page_opened(driver):
    heading = visible("#main h1, #item-title")(driver)
    return heading and NOT_KEPT not in driver.find_element(By.TAG_NAME, "body").text


def test_next_item_on_a_server_slower_than_10_s_answers_from_the_phone_in_firefox(firefox, demo_data):
    open_kept_assessment(firefox, demo_data)
    # Held well past 10 s so that, however slowly a loaded machine walks three items, no page the
    # server was asked for has come back: each one shown came from the phone. Released at the end.
    held = HeldPages(demo_data.app, r"/items/", seconds=60)
    try:
        for _ in range(3):
            item_id = tap_next(firefox, FROM_THE_PHONE_S)
            wait_for(firefox, item_shown(item_id), f"item {item_id} from the phone", timeout=FROM_THE_PHONE_S)
            assert firefox.find_element(By.ID, "outcome-full").is_enabled()
            assert held.answered == 0, "the item showed while the server still held its page"
        assert held.arrived >= 1, "the page shown from the phone is fetched again behind it"
    finally:
        held.released.set()


def test_offline_the_progress_index_and_summary_count_results_waiting_on_the_phone_in_firefox(
    firefox, demo_data
):
    base = open_kept_assessment(firefox, demo_data)
    first = firefox.get_url().rsplit("/", 1)[1]
    progress = "#progress .progress-count"
    scored, total = (int(n) for n in firefox.find_element(By.CSS_SELECTOR, progress).text.split("/"))

    demo_data.shutdown()
    wait_for(firefox, visible("label[for=outcome-full]"), "the outcome buttons").click()
    wait_for(firefox, visible("#item-status .pending"), "the change kept on the phone")
    second = tap_next(firefox)
    wait_for(firefox, item_shown(second), "the next item from the phone").click()
    wait_for(
        firefox,
        lambda d: d.execute_async_script(OUTBOX_COUNT, sandbox=None) == 2,
        "both results in the outbox",
    )

    firefox.navigate(firefox.get_url())
    counted = f"{scored + 2}/{total}"
    wait_for(firefox, text_is(progress, counted), f"progress {counted}")
    waiting = "#progress .waiting-count"
    wait_for(firefox, text_is(waiting, "2 项待同步"), "2 waiting")

    firefox.navigate(f"{base}/index")
    wait_for(firefox, text_is(progress, counted), "the index's progress")
    badge = f"li[data-item-id='{first}'] .badge.pending"
    wait_for(firefox, text_is(badge, "待同步"), "the item marked waiting")
    assert not firefox.find_element(
        By.CSS_SELECTOR, f"li[data-item-id='{first}'] [data-unscored-badge]"
    ).is_displayed()

    firefox.navigate(f"{base}/summary")
    open_items = f"还有 {total - scored - 2} 个小项未评分"
    wait_for(
        firefox,
        lambda d: open_items in d.find_element(By.CSS_SELECTOR, "#checklist [data-open-items]").text,
        open_items,
    )
    checklist_waiting = "#checklist .waiting-count"
    wait_for(firefox, text_is(checklist_waiting, "2 项待同步"), "summary")


def test_offline_after_a_keep_the_index_the_summary_and_items_open_in_firefox(firefox, demo_data):
    base = open_kept_assessment(firefox, demo_data)
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
        firefox.navigate(url)
        wait_for(firefox, page_opened, f"{url} from the phone")


def test_an_interrupted_keep_goes_on_to_63_of_63_when_the_assessment_is_opened_again_in_firefox(
    firefox, demo_data
):
    log_in(firefox, demo_data.url, "assessor1")
    an_interrupted_keep_goes_on_to_63_of_63_when_opened_again(
        firefox, demo_data, firefox.navigate, firefox.get_url, wait_for
    )
