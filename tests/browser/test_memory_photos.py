"""A photo this browser keeps only in the page's memory (WebKit's ephemeral sessions, simulated by
BLOBS_REFUSED): 下一项 waits until it is sent, saying so, or lets the assessor leave after saying
plainly that it is lost; a lost photo is said lost, never counted as waiting."""

import re

from playwright.sync_api import expect

from tests.browser.test_outbox import BLOBS_REFUSED
from tests.browser.test_photos import open_item, stored_photos

UPLOADS = "**/findings/*/photos"


def take_a_photo_on_a_dead_link(page, server, tmp_path) -> None:
    page.add_init_script(BLOBS_REFUSED)
    source = open_item(page, server, tmp_path)
    expect(page.locator(".photo-memory-warning")).to_contain_text("无法在本机保存照片")
    page.route(UPLOADS, lambda route: route.abort("internetdisconnected"))
    page.set_input_files("[data-photos] input[multiple]", source)
    expect(page.locator(".photo-job")).to_have_attribute("data-state", "queued")


def test_next_item_waits_until_a_photo_held_in_memory_is_sent(page, demo_data, tmp_path):
    take_a_photo_on_a_dead_link(page, demo_data, tmp_path)
    item_url = page.url
    page.click(".walk-nav a[rel=next]")
    expect(page.locator(".leaving-notice")).to_contain_text("照片只在本页内存中")
    assert page.url == item_url
    assert stored_photos(demo_data) == []

    page.unroute(UPLOADS)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_url(lambda url: url != item_url, timeout=30_000)
    assert len(stored_photos(demo_data)) == 1


def test_a_photo_left_behind_in_memory_is_said_lost_and_not_waiting(page, demo_data, tmp_path):
    take_a_photo_on_a_dead_link(page, demo_data, tmp_path)
    item_url = page.url
    page.click(".walk-nav a[rel=next]")
    page.get_by_role("button", name="仍然离开（照片将丢失）").click()
    page.wait_for_url(lambda url: url != item_url)

    summary = page.locator("#sync-indicator summary")
    expect(summary).to_have_text(re.compile("1 张照片已丢失，请重拍"))
    expect(summary).not_to_contain_text("待同步")
    page.goto(item_url)
    expect(page.locator(".photo-job")).to_contain_text("已丢失")
    assert stored_photos(demo_data) == []
