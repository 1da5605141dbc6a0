"""An inspection plan on a phone: the administrator plans and draws, a drawn inspector starts the
visit from their home, the administrator publishes, and a stranger reads the results."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, log_in
from tests.browser.test_admin import assert_no_sideways_scrolling
from tests.browser.test_finalize import shot

LOTTERY = "2026-12-06 双色球 03 07 11 19 24 31 + 09"


def phone(browser):
    return browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )


def test_plan_draw_start_and_publish_on_a_phone(page, demo_data, browser):
    base = demo_data.url
    log_in(page, base, "admin")
    page.goto(f"{base}/plans/flags")
    page.fill("#station_code", "GZ003")
    page.fill("#reason", "考生投诉考场秩序")
    page.get_by_role("button", name="标记该所（站）").click()
    expect(page.locator(".flash")).to_contain_text("GZ003")

    page.click("nav.admin-nav >> text=检查计划")
    page.get_by_role("link", name="新建检查计划").click()
    page.fill("#name", "2026年第四季度双随机检查")
    page.fill("#period_start", "2026-10-01")
    page.fill("#period_end", "2026-12-31")
    page.check("input[name=complaints_only]")
    page.fill("#draw_count", "1")
    page.fill("#team_size", "1")
    page.get_by_label("王建国").check()
    page.get_by_label("李慧敏").check()
    page.fill("#visit_start", "2026-12-01")
    page.fill("#visit_end", "2099-12-31")
    page.get_by_role("button", name="创建计划").click()
    expect(page.locator('[data-field="team_size"]')).to_have_text("评估组至少 2 人：一人任组长，另一人复核。")
    shot(page, "plan-team-too-small")
    assert_no_sideways_scrolling(page)
    page.fill("#team_size", "2")
    page.get_by_role("button", name="创建计划").click()
    expect(page.locator(".flash")).to_contain_text("已创建检查计划")

    page.fill("#public_value", LOTTERY)
    page.get_by_role("button", name="抽取", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已完成第 1 次抽取")
    visit = page.locator(".plan-visit")
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text("广州市烹饪职业技能鉴定所")
    expect(visit.locator(".visit-status")).to_have_text("已抽取")
    expect(page.locator(".draw-record .seed")).to_have_text(re.compile("^[0-9a-f]{64}$"))
    shot(page, "plan-drawn")
    assert_no_sideways_scrolling(page)
    plan_url = page.url

    inspector = phone(browser)
    try:
        walker = inspector.new_page()
        log_in(walker, base, "assessor2")
        drawn = walker.locator("#drawn-visits .drawn-visit")
        expect(drawn).to_contain_text("广州市烹饪职业技能鉴定所")
        expect(drawn).to_contain_text("组长")
        shot(walker, "plan-inspector-home")
        assert_no_sideways_scrolling(walker)
        drawn.get_by_role("button", name="开始这项检查").click()
        expect(walker).to_have_url(re.compile(r"/assess/\d+/"))
        shot(walker, "plan-visit-started")
    finally:
        inspector.close()

    page.goto(plan_url)
    expect(page.locator(".plan-visit .visit-status")).to_have_text("进行中")
    page.get_by_role("button", name="公开结果").click()
    expect(page.locator(".flash")).to_contain_text("结果已公开")
    public_url = page.locator("#publishing a").get_attribute("href")

    stranger = phone(browser)
    try:
        reader = stranger.new_page()
        reader.goto(f"{base}{public_url}")
        expect(reader.locator("h1")).to_have_text("2026年第四季度双随机检查")
        expect(reader.locator("table.public-results tbody tr")).to_have_count(1)
        expect(reader.locator("#public-draw .seed")).to_have_text(re.compile("^[0-9a-f]{64}$"))
        expect(reader.locator("body")).not_to_contain_text("王建国")
        shot(reader, "plan-public")
        assert_no_sideways_scrolling(reader)
    finally:
        stranger.close()
