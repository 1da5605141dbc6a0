"""WebKit, the engine of every iPhone browser, through WebKitGTK's WebDriver at a phone's size.

How to use it in a test under tests/webkit/:

    def test_something(webkit, demo_data):          # or `live_server` for an empty database
        log_in(webkit, demo_data.url, "assessor1")
        webkit.get(f"{demo_data.url}/assess/")
        wait_for(webkit, lambda d: d.find_element(By.CSS_SELECTOR, "#progress"))

- `webkit` is a selenium WebDriver driving MiniBrowser (Debian's `webkit2gtk-driver` and
  `libwebkit2gtk-4.1-0`), one fresh browser per test (no cookies, storage or service worker left
  from another test), full-screen with a 390x844 viewport, on a private Xvfb display.
- `xvfb_display` (session) is that display; `live_server`, `demo_data` and `gunicorn_server` come
  from tests/servers.py. Stopping the server inside a test takes the phone offline
  (`live_server.shutdown()`), as the field does.
- `wait_for(driver, condition)` waits on a condition (never a fixed sleep) and says what it
  waited for; `log_in` goes through the real login form.

The tests fail, never skip, when the driver or Xvfb is missing: `make test` installs both as root.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WEBKIT_DRIVER = os.environ.get("WEBKIT_DRIVER_PATH", "/usr/bin/WebKitWebDriver")
MINIBROWSER = os.environ.get("WEBKIT_BROWSER_PATH", "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
PHONE = (390, 844)
# WebKit under xvfb beside a full Chromium run outlasted 20 s on plain steps (a prompt, a notice).
WAIT_SECONDS = 45
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.webkit)


def require(path: str, package: str) -> None:
    if not (os.path.exists(path) or shutil.which(path)):
        pytest.fail(f"{path} not found: run `make test` as root, which installs Debian's {package}")


@pytest.fixture(scope="session")
def xvfb_display():
    """A private X display the size of the phone; Xvfb picks a free display number itself."""
    require("Xvfb", "xvfb")
    read_end, write_end = os.pipe()
    width, height = PHONE
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        pass_fds=[write_end],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def webkit(xvfb_display, tmp_path):
    """A fresh WebKitGTK browser at 390x844, quit after the test."""
    require(WEBKIT_DRIVER, "webkit2gtk-driver")
    require(MINIBROWSER, "libwebkit2gtk-4.1-0")
    options = webdriver.WebKitGTKOptions()
    options.binary_location = MINIBROWSER
    options.add_argument("--automation")  # the driver only drives a browser started for automation
    options.add_argument("--full-screen")  # no tool bar, so the window is all viewport
    service = webdriver.WebKitGTKService(
        executable_path=WEBKIT_DRIVER,
        log_output=str(tmp_path / "webkit-driver.log"),
        env={**os.environ, "DISPLAY": xvfb_display},
    )
    driver = webdriver.WebKitGTK(options=options, service=service)
    driver.set_window_size(*PHONE)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait_for(driver, condition, message: str = "", timeout: float = WAIT_SECONDS):
    """The condition's first truthy value, polled until it comes or the time is up."""
    # A node the page re-renders between finding it and reading it is looked up again next poll.
    stale = [StaleElementReferenceException]
    wait = WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=stale)
    return wait.until(condition, message)


def log_in(driver, base_url: str, username: str, password: str = "demo2026") -> None:
    driver.get(f"{base_url}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, ".login-form button[type=submit]").click()
    wait_for(driver, lambda d: "/login" not in d.current_url, f"login as {username}")
