"""The administrator's journey on a phone: stations, an import with a bad row, a staff user, the dashboard."""

from app.extensions import db
from app.models import Station, User
from tests.browser.conftest import log_in

PHONE_WIDTH = 390


def assert_no_sideways_scrolling(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways ({width}px)"


def test_admin_runs_stations_people_and_the_dashboard_on_a_phone(page, demo_data, tmp_path):
    base = demo_data.url
    log_in(page, base, "admin")
    assert page.url.endswith("/admin/")
    assert page.locator("h1").inner_text() == "各所（站）总览"
    assert page.locator("svg.chart-svg title").first.text_content() == "总分分布"
    assert page.locator("#histogram-table tbody tr").count() == 5
    assert page.locator("#top-table tbody tr").count() > 0
    assert_no_sideways_scrolling(page)

    page.click("nav.admin-nav >> text=所（站）")
    page.click("text=新建所（站）")
    page.fill("#code", "HZ001")
    page.fill("#name", "杭州市职业技能鉴定中心")
    page.fill("#address", "杭州市西湖区文三路 1 号")
    page.click("#main form button.primary")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("status").first.inner_text() == "已创建所（站）HZ001。"
    assert page.get_by_text("杭州市职业技能鉴定中心").is_visible()
    assert_no_sideways_scrolling(page)

    csv = tmp_path / "新所站.csv"
    csv.write_text(
        "代码,名称,地址,联系人\nNB001,宁波市职业技能鉴定站,宁波市,周老师\n,缺代码的站,,\n", encoding="utf-8"
    )
    page.goto(f"{base}/admin/stations/import")
    page.set_input_files("#file", str(csv))
    page.click("text=检查文件")
    page.wait_for_load_state("networkidle")
    report = page.locator(".import-report")
    assert "1 行可以导入" in report.inner_text() and "1 行被拒绝" in report.inner_text()
    assert page.locator(".rejected li.error").inner_text() == "缺少代码。"
    assert_no_sideways_scrolling(page)
    page.click("text=导入 1 个所（站）")
    page.wait_for_load_state("networkidle")
    assert "已从 新所站.csv 导入 1 个所（站）。" in page.get_by_role("status").first.inner_text()

    page.goto(f"{base}/admin/users/new")
    page.fill("#username", "zhou")
    page.fill("#display_name", "周敏")
    page.select_option("#role", "staff")
    page.fill("#station_code", "NB001")
    page.fill("#password", "long enough password")
    page.click("#main form button.primary")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("status").first.inner_text() == "已创建用户 zhou。"
    assert_no_sideways_scrolling(page)

    page.goto(f"{base}/admin/")
    page.select_option("#order", "highest")
    page.wait_for_selector("#station-totals svg.sparkline")
    assert page.locator("#station-totals tbody tr").count() >= 1
    assert_no_sideways_scrolling(page)

    with demo_data.app.app_context():
        assert db.session.scalar(db.select(Station.name).filter_by(code="NB001")) == "宁波市职业技能鉴定站"
        staff = db.session.scalar(db.select(User).filter_by(username="zhou"))
        assert (staff.role, staff.station.code) == ("staff", "NB001")
