"""Before, during and after the visit on a phone: last time's findings, joining a colleague, the index,
control contrast, the top and bottom bars, the station's deadlines and a shared report."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from app.extensions import db
from app.models import Assessment
from app.services import deadlines
from tests.browser.conftest import log_in, wait_until
from tests.browser.test_finalize import shot


def demo_ids(server):
    with server.app.app_context():
        finalized = db.session.scalar(db.select(Assessment).filter_by(status="finalized"))
        in_progress = db.session.scalar(db.select(Assessment).filter_by(status="in_progress"))
        return finalized.id, in_progress.id


def test_next_visit_shows_last_times_findings_folded_on_each_item(page, demo_data):
    log_in(page, demo_data.url, "assessor2")
    page.fill("#station-search", "BJ001")
    page.get_by_role("button", name=re.compile("评估")).first.click()
    page.wait_for_url(re.compile(r"/items/1\.1\.1$"))
    page.goto(page.url.replace("1.1.1", "4.1.1"))
    previous = page.locator("#previous-visit")
    expect(previous).to_contain_text("上次评估")
    expect(previous).to_contain_text("2 / 3 分")
    expect(previous.locator("img")).to_be_hidden()
    previous.locator("summary").click()
    expect(previous).to_contain_text("二楼实操室一台车床防护罩缺失。")
    expect(previous.locator("img").first).to_be_visible()
    wait_until(page, "document.querySelector('#previous-visit img').naturalWidth > 0")
    previous.scroll_into_view_if_needed()
    shot(page, "item-previous-visit")


def test_last_times_deduction_shows_above_the_outcomes_on_the_first_screen(page, demo_data):
    log_in(page, demo_data.url, "assessor2")
    page.fill("#station-search", "BJ001")
    page.get_by_role("button", name=re.compile("评估")).first.click()
    page.wait_for_url(re.compile(r"/items/1\.1\.1$"))
    clean_last_time = page.locator("#previous-visit").bounding_box()
    outcome = page.locator("label[for=outcome-full]").bounding_box()
    assert clean_last_time["y"] > outcome["y"], "full points last time: out of the way, below the item"
    page.goto(page.url.replace("1.1.1", "5.3.1"))
    expect(page.locator("#previous-visit")).to_contain_text("0 / 1 分")
    lost_last_time = page.locator("#previous-visit").bounding_box()
    first_outcome = page.locator("label[for=outcome-full]").bounding_box()
    assert lost_last_time["y"] + lost_last_time["height"] <= first_outcome["y"]
    assert first_outcome["y"] + first_outcome["height"] <= 844, "the outcomes stay on the first screen"
    shot(page, "item-lost-last-time")


def test_second_assessor_is_told_who_is_on_it_and_asked_before_joining(page, demo_data):
    _finalized, in_progress = demo_ids(demo_data)
    log_in(page, demo_data.url, "assessor2")
    page.fill("#station-search", "SH002")
    expect(page.locator("#station-results .busy")).to_have_text("王建国 正在评估")
    page.locator("#station-results button").first.click()
    expect(page.locator("#join-title")).to_have_text("该所（站）正在评估中")
    expect(page.locator("main")).to_contain_text("已评 25 / 61")
    shot(page, "join")
    page.get_by_role("button", name="加入评估").click()
    page.wait_for_url(re.compile(rf"/assess/{in_progress}/items/"))


def test_index_opens_with_the_current_item_below_the_top_bar_and_jumps_to_categories(page, demo_data):
    _finalized, in_progress = demo_ids(demo_data)
    log_in(page, demo_data.url, "assessor1")
    page.goto(f"{demo_data.url}/assess/{in_progress}/items/5.3.1")
    page.locator(".walk-nav a", has_text="目录").click()
    page.wait_for_url(re.compile(r"/index#item-5\.3\.1$"))
    topbar = page.locator(".topbar").bounding_box()
    item = page.locator("#item-5\\.3\\.1")
    wait_until(page, "window.scrollY > 0")
    box = item.bounding_box()
    assert box["y"] >= topbar["y"] + topbar["height"], (box, topbar)
    assert box["y"] + 44 <= 844
    shot(page, "index-current-item")
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(".category-jumps a", has_text="7").click()
    page.wait_for_url(re.compile(r"#category-7$"))
    heading = page.locator("#category-7").bounding_box()
    assert topbar["height"] <= heading["y"] <= 844 - heading["height"]


BOUNDARY_CONTRAST = """
(selector) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const lin = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const behind = (el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const bg = getComputedStyle(node).backgroundColor;
      if (!bg.startsWith("rgba(0, 0, 0, 0)") && bg !== "transparent") return rgb(bg);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(selector)].filter((el) => el.offsetParent).map((el) => {
    const style = getComputedStyle(el);
    const bordered = parseFloat(style.borderTopWidth) > 0;
    const edge = bordered ? rgb(style.borderTopColor) : rgb(style.backgroundColor);
    return { what: el.id || el.className || el.tagName, ratio: ratio(edge, behind(el)) };
  });
}
"""


def test_every_control_on_the_walk_page_has_a_three_to_one_boundary(page, demo_data):
    _finalized, in_progress = demo_ids(demo_data)
    log_in(page, demo_data.url, "assessor1")
    page.goto(f"{demo_data.url}/assess/{in_progress}/items/4.1.1")
    controls = page.evaluate(
        BOUNDARY_CONTRAST,
        ".outcome, input[type=number], textarea, select, button.primary, .button, .walk-nav .button",
    )
    assert controls, "the walk page has controls"
    low = [control for control in controls if control["ratio"] < 3]
    assert low == [], low


def test_english_top_bar_stays_on_one_line_at_phone_width(page, demo_data):
    log_in(page, demo_data.url, "assessor1")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    for selector in (".topbar .who", ".logout-form .link-button", ".brand"):
        box = page.locator(selector).bounding_box()
        assert box["height"] <= 48, (selector, box)
    assert page.locator(".topbar").bounding_box()["height"] <= 60
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "home-english")


def test_bottom_bar_lines_up_with_the_content_column_on_a_wide_screen(page, demo_data):
    _finalized, in_progress = demo_ids(demo_data)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo_data.url, "assessor1")
    page.goto(f"{demo_data.url}/assess/{in_progress}/items/2.1.1")
    card = page.locator("#item").bounding_box()
    first = page.locator(".walk-nav .button").first.bounding_box()
    last = page.locator(".walk-nav .button").last.bounding_box()
    assert abs(first["x"] - card["x"]) <= 2, (first, card)
    assert abs((last["x"] + last["width"]) - (card["x"] + card["width"])) <= 2, (last, card)


def test_station_staff_see_what_is_due_and_how_many_days_are_left(page, demo_data):
    finalized, _in_progress = demo_ids(demo_data)
    with demo_data.app.app_context():
        assessment = db.session.get(Assessment, finalized)
        assessment.rectification_due = deadlines.today() + timedelta(days=9)
        assessment.finding_for("6.5.1").rectification_due = deadlines.today() - timedelta(days=2)
        db.session.commit()
    log_in(page, demo_data.url, "staff1")
    due = page.locator("#due")
    expect(due).to_contain_text("已逾期 2 天")
    expect(due).to_contain_text("还剩 9 天")
    expect(due.locator(".overdue")).to_have_count(1)
    shot(page, "staff-home-due")
    due.locator("a").first.click()
    expect(page.locator("#item-6\\.5\\.1 .countdown")).to_have_text("已逾期 2 天")


def test_a_share_link_opens_the_report_read_only_without_an_account(page, demo_data, browser):
    finalized, _in_progress = demo_ids(demo_data)
    log_in(page, demo_data.url, "assessor1")
    page.goto(f"{demo_data.url}/assess/{finalized}/result")
    page.select_option("#share-days", "7")
    page.get_by_role("button", name="生成分享链接").click()
    expect(page.locator(".flash")).to_contain_text("分享链接已生成")
    link = page.locator(".share-link input[readonly]").first.input_value()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo_data.url)
    page.get_by_role("button", name="复制链接").click()
    expect(page.get_by_role("button", name="已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    shot(page, "result-share")
    stranger = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    try:
        shared = stranger.new_page()
        shared.goto(link)
        expect(shared.locator("h1.report-title")).to_be_visible()
        expect(shared.locator(".report-tools")).to_contain_text("只读")
        wait_until(
            shared,
            "[...document.querySelectorAll('.appendix-photo img')].every((img) => img.naturalWidth > 0)",
        )
        shot(shared, "shared-report")
        shared.goto(f"{demo_data.url}/assess/")
        expect(shared).to_have_url(re.compile("/login"))
    finally:
        stranger.close()
    page.get_by_role("button", name="撤回").click()
    expect(page.locator(".flash")).to_contain_text("分享链接已撤回")


def test_each_checklist_line_starts_beside_its_mark_in_english(page, demo_data):
    _finalized, in_progress = demo_ids(demo_data)
    log_in(page, demo_data.url, "assessor1")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{demo_data.url}/assess/{in_progress}/summary")
    lines = page.locator("#checklist .check-line")
    expect(lines.first).to_be_visible()
    for line in lines.all():
        mark = line.locator(".check-mark").bounding_box()
        text = line.locator("> span:last-of-type").bounding_box()
        assert abs(text["y"] - mark["y"]) < mark["height"], (line.inner_text(), mark, text)
    page.locator("#checklist").scroll_into_view_if_needed()
    shot(page, "checklist-english")
