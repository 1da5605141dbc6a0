"""An administrator uploads a draft form, sees its problems, tries it, compares it and publishes it,
on a phone and at a desktop width."""

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Assessment
from rubric.registry import FORMS_DIRECTORY
from tests.browser.conftest import log_in

SHIPPED = (FORMS_DIRECTORY / "station-quality-1.1.toml").read_text(encoding="utf-8")
DRAFT = SHIPPED.replace('version = "1.1"', 'version = "1.9"', 1).replace(
    "所(站)长岗位职责明确", "所(站)长岗位职责明确并公示", 1
)
BROKEN = DRAFT.replace("points = 2\n", "points = -2\n", 1)
DESKTOP = {"width": 1280, "height": 900}
# A busy two-core machine may take long over a request: wait for its page up to a minute.
BUSY_MS = 60_000


def assert_no_sideways_scrolling(page, width: int):
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{page.url} scrolls sideways ({scrolled}px)"


def upload(page, path):
    page.set_input_files("#file", str(path))
    with page.expect_navigation(timeout=BUSY_MS):
        page.click("#form-upload button[type=submit]")


def walk_upload_try_publish(page, server, tmp_path, width: int, name: str):
    base = server.url
    log_in(page, base, "admin")
    page.click("nav.admin-nav >> text=评估表")
    assert page.locator("h1").inner_text() == "评估表"
    assert "新评估使用中" in page.locator("#form-versions").inner_text()

    broken = tmp_path / "broken.toml"
    broken.write_text(BROKEN, encoding="utf-8")
    upload(page, broken)
    problems = page.locator("#form-problems li")
    assert problems.count() >= 1
    assert "1.1.1" in problems.first.inner_text() and "line" in problems.first.inner_text()
    assert_no_sideways_scrolling(page, width)
    page.screenshot(path=str(tmp_path / f"{name}-problems.png"), full_page=True)

    draft = tmp_path / "draft.toml"
    draft.write_text(DRAFT, encoding="utf-8")
    upload(page, draft)
    expect(page.get_by_role("status").first).to_contain_text("草稿 1.9 已保存", timeout=BUSY_MS)
    changes = page.locator("#form-comparison tbody tr", has_text="1.1.1")
    assert "所(站)长岗位职责明确并公示" in changes.inner_text()
    assert_no_sideways_scrolling(page, width)
    page.screenshot(path=str(tmp_path / f"{name}-draft.png"), full_page=True)
    detail = page.url

    with page.expect_navigation(timeout=BUSY_MS):
        page.click("#form-try button")
    assert "/assess/" in page.url
    page.goto(f"{page.url.split('/assess/')[0]}/assess/{test_walk_id(server)}/items/1.1.1")
    assert "所(站)长岗位职责明确并公示" in page.locator("#main").inner_text()
    page.screenshot(path=str(tmp_path / f"{name}-test-walk.png"), full_page=True)

    page.goto(detail)
    with page.expect_navigation(timeout=BUSY_MS):
        page.click("#form-actions button.primary")
    # The walk page's offline copy may still be fetching pages, and one of them may show the flash:
    # the page's own state says what happened.
    expect(page.locator("#form-version .badge").first).to_have_text("已发布", timeout=BUSY_MS)
    with server.app.app_context():
        assert db.session.scalar(db.select(Assessment).filter_by(is_test=True)) is None
    with page.expect_navigation(timeout=BUSY_MS):
        page.click("#form-actions button.primary")
    in_use = page.locator("#form-versions li", has_text="1.9 版")
    expect(in_use).to_contain_text("新评估使用中", timeout=BUSY_MS)
    assert_no_sideways_scrolling(page, width)
    page.screenshot(path=str(tmp_path / f"{name}-published.png"), full_page=True)


def test_walk_id(server) -> int:
    with server.app.app_context():
        return db.session.scalar(db.select(Assessment.id).filter_by(is_test=True))


test_walk_id.__test__ = False


def test_upload_try_and_publish_a_form_on_a_phone(page, demo_data, tmp_path):
    walk_upload_try_publish(page, demo_data, tmp_path, 390, "phone")


@pytest.fixture
def desktop_page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def test_upload_try_and_publish_a_form_at_a_desktop_width(desktop_page, demo_data, tmp_path):
    walk_upload_try_publish(desktop_page, demo_data, tmp_path, DESKTOP["width"], "desktop")
