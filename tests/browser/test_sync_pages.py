"""The pages of one phone take turns at sending, and a page that goes away never keeps the others
from it: results scored on a weak link while walking from item to item, with the back/forward
cache on and another page holding the sending lock without a word, all arrive once the server
answers again."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, log_in
from tests.browser.test_walk import go_to_next_item
from tests.weak_link import ARRIVAL_S, HOLD_THE_SENDING_LOCK_FOREVER, WeakLink, all_scored_full

ITEMS = 3


@pytest.fixture
def cached_page(cached_browser, live_server):
    """A page of Chromium with the back/forward cache on, as on a phone."""
    context = cached_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def open_the_walk(page, server) -> int:
    log_in(page, server.url, "assessor1")
    page.get_by_role("link", name=re.compile("上海市机电")).click()
    page.wait_for_url(re.compile(r"/items/"))
    return int(page.url.rsplit("/items/", 1)[0].rsplit("/", 1)[1])


def score_full_here(page) -> str:
    page.click("label[for=outcome-full]")
    expect(page.locator("#item-status .pending")).to_be_visible()
    return page.url.rsplit("/", 1)[1]


def expect_on_the_server(server, assessment_id: int, items: list[str], seconds: float = ARRIVAL_S) -> None:
    """Every item's result arrives, in the few seconds a reconnecting phone may take."""
    deadline = time.monotonic() + seconds
    while not all_scored_full(server, assessment_id, items):
        assert time.monotonic() < deadline, f"not all of {items} on the server after {seconds} s"
        time.sleep(0.2)


def wait_until_held(page, link: WeakLink, seconds: float = 30) -> None:
    """The first result is on its way, unanswered, when its page is left."""
    deadline = time.monotonic() + seconds
    while not link.held:
        assert time.monotonic() < deadline, f"no result was sent in {seconds} s"
        page.wait_for_timeout(100)


def test_results_scored_on_a_weak_link_while_walking_arrive_once_it_answers(cached_page, demo_data):
    page = cached_page
    assessment_id = open_the_walk(page, demo_data)
    stuck = page.context.new_page()
    stuck.goto(f"{demo_data.url}/login")
    stuck.evaluate(HOLD_THE_SENDING_LOCK_FOREVER)
    page.bring_to_front()
    link = WeakLink(demo_data.app)

    link.down()
    scored = [score_full_here(page)]
    wait_until_held(page, link)
    for _ in range(ITEMS - 1):
        go_to_next_item(page)
        scored.append(score_full_here(page))

    link.restore()
    expect_on_the_server(demo_data, assessment_id, scored)
    expect(page.locator("#item-status .saved")).to_be_visible()
    expect(page.locator("#sync-indicator summary")).to_have_text("在线")
