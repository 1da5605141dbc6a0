"""Firefox ESR, with its back/forward cache: results scored on a weak link while walking from
item to item are all sent once the server answers again, though each page left was in the middle
of sending and another page holds the sending lock without a word (as a page left for the cache did
in the field)."""

from tests.firefox.conftest import By, log_in, visible, wait_for
from tests.weak_link import ARRIVAL_S, HOLD_THE_SENDING_LOCK_FOREVER, WeakLink, all_scored_full

ITEMS = 3


def hold_the_sending_lock_in_another_tab(firefox, base_url: str) -> None:
    walk = firefox.current_window_handle
    firefox.switch_to_window(firefox.open(type="tab", focus=False)["handle"], focus=False)
    firefox.navigate(f"{base_url}/login")
    firefox.execute_script(HOLD_THE_SENDING_LOCK_FOREVER, sandbox=None)
    firefox.switch_to_window(walk)


def test_results_scored_on_a_weak_link_while_walking_reach_the_server_once_it_answers(firefox, demo_data):
    log_in(firefox, demo_data.url, "assessor1")
    wait_for(firefox, lambda f: f.find_element(By.PARTIAL_LINK_TEXT, "上海市机电"), "the home page").click()
    wait_for(firefox, lambda f: "/items/" in f.get_url(), "the walk opens at an item")
    assessment_id = int(firefox.get_url().rsplit("/items/", 1)[0].rsplit("/", 1)[1])
    hold_the_sending_lock_in_another_tab(firefox, demo_data.url)
    link = WeakLink(demo_data.app)

    link.down()
    scored = []
    for number in range(ITEMS):
        if number:
            shown = firefox.get_url()
            firefox.find_element(By.CSS_SELECTOR, ".walk-nav a[rel=next]").click()
            wait_for(firefox, lambda f, shown=shown: f.get_url() != shown, "the next item opens")
        scored.append(firefox.get_url().rsplit("/", 1)[1])
        wait_for(firefox, visible("label[for=outcome-full]"), "its outcomes are shown").click()
        wait_for(firefox, visible("#item-status .pending"), "the change kept on the phone")
        if not number:
            # The first page leaves while its result is on its way, unanswered.
            wait_for(firefox, lambda f: link.held, "the first result on its way", timeout=30)

    link.restore()
    wait_for(
        firefox,
        lambda f: all_scored_full(demo_data, assessment_id, scored),
        "every result on the server",
        timeout=ARRIVAL_S,
    )
    wait_for(firefox, visible("#item-status .saved"), "the page says it is saved", timeout=20)
    summary = "#sync-indicator summary"
    wait_for(firefox, lambda f: f.find_element(By.CSS_SELECTOR, summary).text == "在线", "nothing waits")
