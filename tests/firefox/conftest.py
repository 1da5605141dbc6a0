"""Firefox ESR, the browser of the team's Linux laptops and of many managed Android phones, through
Marionette (Firefox's own remote protocol, driven by the `marionette-driver` package).

How to use it in a test under tests/firefox/:

    def test_something(firefox, demo_data):          # or `live_server` for an empty database
        log_in(firefox, demo_data.url, "assessor1")
        firefox.navigate(f"{demo_data.url}/assess/")
        wait_for(firefox, lambda f: f.find_elements(By.CSS_SELECTOR, "#progress"))

- `firefox` is a marionette_driver.Marionette session on Debian's `firefox-esr`, headless, one
  fresh browser and profile per test (no cookies, storage or service worker left from another
  test), with the back/forward cache on as it is for the assessor. Its window is no narrower
  than 500 px (Firefox's own minimum), so these tests check what the pages do, not a phone's layout:
  that is tests/browser/'s and tests/webkit/'s, at 390x844.
- `wait_for(driver, condition)` waits on a condition (never a fixed sleep) and says what it
  waited for; `log_in` goes through the real login form.

The tests fail, never skip, when Firefox ESR is missing: `make test` installs it as root.
"""

import os
import time
from pathlib import Path

import pytest
from marionette_driver.by import By
from marionette_driver.errors import NoSuchElementException, StaleElementException
from marionette_driver.marionette import Marionette

FIREFOX = os.environ.get("FIREFOX_PATH", "/usr/bin/firefox-esr")
WAIT_SECONDS = 20
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def firefox(tmp_path):
    """A fresh headless Firefox ESR, quit after the test."""
    if not os.path.exists(FIREFOX):
        pytest.fail(f"{FIREFOX} not found: run `make test` as root, which installs Debian's firefox-esr")
    driver = Marionette(
        bin=FIREFOX,
        headless=True,
        gecko_log=str(tmp_path / "gecko.log"),
        startup_timeout=120,
    )
    driver.start_session()
    driver.timeout.page_load = 60
    driver.timeout.script = 30
    yield driver
    driver.cleanup()


def wait_for(driver, condition, message: str = "", timeout: float = WAIT_SECONDS):
    """The condition's first truthy value, polled until it comes or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition(driver)
        except (NoSuchElementException, StaleElementException):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {message or condition}")
        time.sleep(0.1)


def visible(selector: str):
    def condition(driver):
        shown = [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]
        return shown[0] if shown else None

    return condition


def log_in(driver, base_url: str, username: str, password: str = "demo2026") -> None:
    driver.navigate(f"{base_url}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, ".login-form button[type=submit]").click()
    wait_for(driver, lambda d: "/login" not in d.get_url(), f"login as {username}")
