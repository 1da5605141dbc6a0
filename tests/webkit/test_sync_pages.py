"""WebKit, with its back/forward cache: results scored on a weak link while walking from item to
item are all sent once the server answers again, though each page left was in the middle of sending
and another page holds the sending lock without a word."""

from selenium.webdriver.common.by import By

from tests.weak_link import ARRIVAL_S, HOLD_THE_SENDING_LOCK_FOREVER, WeakLink, all_scored_full
from tests.webkit.conftest import log_in, wait_for
from tests.webkit.test_walk import visible

ITEMS = 3


def test_results_scored_on_a_weak_link_while_walking_reach_the_server_once_it_answers(webkit, demo_data):
    log_in(webkit, demo_data.url, "assessor1")
    wait_for(webkit, lambda d: d.find_element(By.PARTIAL_LINK_TEXT, "上海市机电"), "the home page").click()
    wait_for(webkit, lambda d: "/items/" in d.current_url, "the walk opens at an item")
    assessment_id = int(webkit.current_url.rsplit("/items/", 1)[0].rsplit("/", 1)[1])
    walk = webkit.current_window_handle
    webkit.switch_to.new_window("tab")
    webkit.get(f"{demo_data.url}/login")
    webkit.execute_script(HOLD_THE_SENDING_LOCK_FOREVER)
    webkit.switch_to.window(walk)
    link = WeakLink(demo_data.app)

    link.down()
    scored = []
    for number in range(ITEMS):
        if number:
            shown = webkit.current_url
            webkit.find_element(By.CSS_SELECTOR, ".walk-nav a[rel=next]").click()
            wait_for(webkit, lambda d, shown=shown: d.current_url != shown, "the next item opens")
        scored.append(webkit.current_url.rsplit("/", 1)[1])
        wait_for(webkit, visible("label[for=outcome-full]"), "its outcomes are shown").click()
        wait_for(webkit, visible("#item-status .pending"), "the change kept on the phone")
        if not number:
            wait_for(webkit, lambda d: link.held, "the first result on its way", timeout=30)

    link.restore()
    wait_for(
        webkit,
        lambda d: all_scored_full(demo_data, assessment_id, scored),
        "every result on the server",
        timeout=ARRIVAL_S,
    )
    wait_for(webkit, visible("#item-status .saved"), "the page says it is saved")
    summary = "#sync-indicator summary"
    wait_for(webkit, lambda d: d.find_element(By.CSS_SELECTOR, summary).text == "在线", "nothing waits")
