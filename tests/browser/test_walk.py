"""An assessor walks a whole assessment on a phone, from login to finalize."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in


def start_assessment(page, station_query: str) -> str:
    page.fill("#station-search", station_query)
    page.locator("#station-results button").first.click()
    page.wait_for_url(re.compile(r"/items/1\.1\.1$"))
    return page.url.rsplit("/items/", 1)[0]


def go_to_next_item(page) -> None:
    """Tap 下一项 and wait until the next item's page is the one showing."""
    link = page.locator(".walk-nav a[rel=next]")
    target = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{target}")
    page.wait_for_load_state("load")


def tap_outcome(page, key: str) -> None:
    page.click(f"label[for=outcome-{key}]")
    expect(page.locator("#item-status .saved")).to_be_visible()


def write_note(page, text: str) -> None:
    page.fill("#note", text)
    expect(page.locator("#item-status .saved")).to_be_visible()
    expect(page.locator("#item-status .prompt")).to_have_count(0)


def explain_no_photo(page, reason: str) -> None:
    """A deduction needs a photo or a reason why none could be taken before finalize."""
    expect(page.locator("details.no-photo[open]")).to_be_visible()
    page.fill("details.no-photo textarea", reason)
    page.click("details.no-photo button[type=submit]")
    expect(page.locator("[data-reason-state]")).to_have_text("已保存")


def test_assessor_walks_the_whole_form_and_finalizes_with_the_right_total(page, demo_data):
    log_in(page, demo_data.url, "assessor2")
    base = start_assessment(page, "GZ003")
    expect(page.locator("#progress")).to_contain_text("0/61")

    tap_outcome(page, "zero")
    expect(page.locator("#item-status .prompt")).to_contain_text("扣分须填写备注")
    write_note(page, "未见所长任命文件")
    explain_no_photo(page, "任命文件不在现场")
    expect(page.locator("#progress")).to_contain_text("1/61")

    visited = 1
    while True:
        next_link = page.locator(".walk-nav a[rel=next]")
        if next_link.count() == 0:
            break
        go_to_next_item(page)
        visited += 1
        item_id = page.url.rsplit("/", 1)[1]
        if item_id == "4.1.1":
            page.fill("#input-problems", "1")
            page.locator("#input-problems").blur()
            expect(page.locator(".derived")).to_have_text("判定为：发现1个问题。")
            write_note(page, "二楼实操室一台车床防护罩缺失")
            explain_no_photo(page, "实操室正在考试，禁止拍照")
        elif item_id == "6.3.2":
            page.click("label[for=outcome-not_applicable]")
            page.fill("#note", "本所鉴定职业均有国家题库")
            expect(page.locator("#item-status .saved")).to_be_visible()
            expect(page.locator("#note[aria-invalid]")).to_have_count(0)
        elif item_id == "6.5.1":
            page.fill("#input-papers_checked", "40")
            page.fill("#input-papers_with_errors", "1")
            page.locator("#input-papers_with_errors").blur()
            expect(page.locator(".derived")).to_contain_text("差错率 2.5%")
        else:
            tap_outcome(page, "full")
    assert visited == 61
    expect(page.locator("#progress")).to_contain_text("61/61")
    expect(page.locator("#progress")).to_contain_text("97 分")

    page.goto(f"{base}/index")
    expect(page.locator("#category-1")).to_contain_text("9 / 11")
    expect(page.locator("#item-6\\.3\\.2 .badge")).to_have_text("不适用")

    page.goto(f"{base}/summary")
    expect(page.locator(".score-big")).to_contain_text("97")
    expect(page.locator("#deductions-title")).to_contain_text("2")
    page.get_by_role("button", name="核对并定稿").click()
    expect(page.locator("h1")).to_have_text("定稿前核对")
    expect(page.locator(".score-big")).to_contain_text("97")
    page.get_by_role("button", name="定稿", exact=True).click()
    expect(page.locator(".flash")).to_have_text("评估已定稿。")
    expect(page.locator(".locked")).to_be_visible()

    page.goto(f"{base}/items/1.1.1")
    expect(page.locator("#outcome-full")).to_be_disabled()


def test_walk_page_fits_a_phone_and_has_big_tap_targets(page, demo_data):
    log_in(page, demo_data.url, "assessor1")
    start_assessment(page, "CD004")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for selector in [".outcome", ".walk-nav .button", "details.method summary"]:
        for box in [el.bounding_box() for el in page.locator(selector).all()]:
            assert box["height"] >= 44, f"{selector} is {box['height']}px high"


def test_reopening_an_assessment_resumes_where_the_assessor_left_off(page, demo_data):
    log_in(page, demo_data.url, "assessor1")
    base = start_assessment(page, "CD004")
    tap_outcome(page, "full")
    go_to_next_item(page)
    tap_outcome(page, "full")
    page.goto(f"{demo_data.url}/assess/")
    page.get_by_role("link", name=re.compile("成都市电子信息")).click()
    page.wait_for_url(f"{base}/items/1.3.1")


RECORD_LAYOUT = """window.tops = [];
document.addEventListener("readystatechange", () => {
  const label = document.querySelector("label[for=outcome-zero]");
  if (document.readyState !== "interactive" || !label) return;
  const record = () => {
    window.tops.push(label.getBoundingClientRect().top + scrollY);
    requestAnimationFrame(record);
  };
  record();
});"""


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_outcome_buttons_stay_where_they_were_painted_while_the_page_finishes_loading(
    page, demo_data, language
):
    """A tap aimed at 发现问题 must land there: lines the scripts fill in must not push it down.

    The button's place is read from when the HTML is parsed, before any deferred or module script
    has run, at every frame until the page is kept for offline use."""
    log_in(page, demo_data.url, "assessor1")
    if language == "en":
        page.click(".lang-switch button")
        page.wait_for_load_state("networkidle")
    page.add_init_script(RECORD_LAYOUT)
    page.get_by_role("link", name=re.compile("上海市机电")).click()
    page.wait_for_url(re.compile(r"/items/"))
    expect(page.locator("#sync-indicator .dot.online")).to_be_visible()
    expect(page.locator(".offline-status.ready")).to_be_visible(timeout=90_000)
    tops = page.evaluate("window.tops")
    assert tops, "the page was read before any script ran"
    assert set(tops) == {tops[0]}, f"the outcome buttons moved: {sorted(set(tops))}"
