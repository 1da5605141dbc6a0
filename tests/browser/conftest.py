"""Real Chromium at a phone viewport against the app served on 127.0.0.1."""

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}

# CI machines have two cores and run the whole suite at once: give the page time to answer.
expect.set_options(timeout=15_000)
# A report's PDF is drawn when it is first downloaded (TestConfig), and its download answers once it
# is drawn, which takes a busy machine minutes: a test waits for that download, up to this long.
PDF_DRAWN_MS = 300_000


def pytest_collection_modifyitems(items):
    """Mark the tests of this folder only: the hook sees every collected test of the session."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright():
    """One Playwright per worker: its sync API runs an event loop in the thread, so a second one
    cannot start beside it."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it as root")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def cached_browser(playwright):
    """Chromium with the back/forward cache on, as on a phone (Playwright turns it off)."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, ignore_default_args=["--disable-back-forward-cache"]
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def log_in(page, base_url: str, username: str, password: str = "demo2026") -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click(".login-form button[type=submit]")
    page.wait_for_load_state("networkidle")


def wait_until(page, expression: str, arg=None, seconds: float = 30) -> None:
    """Poll `expression` in the page until it is truthy. Unlike page.wait_for_function, which takes a
    returned Promise for a truthy answer, this awaits it: IndexedDB and the Cache API answer that way."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {seconds} s: {expression}")
        page.wait_for_timeout(200)
