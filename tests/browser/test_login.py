from tests.browser.conftest import log_in


def test_assessor_logs_in_on_a_phone_and_sees_assessments_in_progress(page, demo_data):
    log_in(page, demo_data.url, "assessor1")
    assert page.url.endswith("/assess/")
    assert page.locator("h1").inner_text() == "进行中的评估"
    assert page.get_by_text("上海市机电行业职业技能鉴定站").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"


def test_wrong_password_shows_the_error_in_the_page(page, demo_data):
    log_in(page, demo_data.url, "assessor1", "wrong")
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误，或账号已停用。"


def test_language_switch_shows_english(page, demo_data):
    page.goto(f"{demo_data.url}/login")
    page.click("button[name=language]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Log in"
