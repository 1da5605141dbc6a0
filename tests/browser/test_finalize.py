"""定稿 on a phone: the checklist, signing, the review step, a refusal that keeps the sign-off, the result."""

import os
from datetime import date, timedelta

from playwright.sync_api import expect

from app.extensions import db
from app.models import Assessment
from app.services import deadlines
from tests.browser.conftest import log_in
from tests.browser.test_outbox import wait_until_outbox_empty
from tests.report_fixtures import complete_assessment, deduction_without_photo


def shot(page, name: str) -> None:
    """Screenshots for people to look at, when SCREENSHOT_DIR says where."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def sign(page, pad_selector: str) -> None:
    pad = page.locator(pad_selector)
    canvas = pad.locator("canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 20):
        page.mouse.move(x + step * 12, y + (12 if step % 2 else -12))
    page.mouse.up()
    expect(pad).to_have_class("signature-pad signed")


def test_checklist_keeps_the_button_disabled_until_every_deduction_has_a_photo_or_reason(page, demo_data):
    assessment_id = deduction_without_photo(demo_data.app)
    log_in(page, demo_data.url, "assessor1")
    page.goto(f"{demo_data.url}/assess/{assessment_id}/summary")
    checklist = page.locator("#checklist")
    expect(checklist.locator(".check-line.todo")).to_contain_text("须附照片")
    expect(checklist.locator(".check-line.todo a")).to_have_text("5.3.1")
    expect(page.get_by_role("button", name="核对并定稿")).to_be_disabled()
    shot(page, "summary-checklist-missing-photo")

    checklist.locator(".check-line.todo a").click()
    page.fill("details.no-photo textarea", "档案室禁止拍照")
    page.click("details.no-photo button[type=submit]")
    expect(page.locator("[data-reason-state]")).to_have_text("已保存")
    page.goto(f"{demo_data.url}/assess/{assessment_id}/summary")
    expect(checklist.locator(".check-line.todo")).to_have_count(0)
    expect(page.get_by_role("button", name="核对并定稿")).to_be_enabled()


def open_summary_with_a_deadline(page, server) -> tuple[int, date]:
    """A complete assessment's summary, its rectification deadline set 30 days ahead."""
    assessment_id = complete_assessment(server.app)
    log_in(page, server.url, "assessor1")
    page.goto(f"{server.url}/assess/{assessment_id}/summary")
    with server.app.app_context():
        due = deadlines.today() + timedelta(days=30)
    page.fill("#rectification_due", due.isoformat())
    return assessment_id, due


def test_sign_review_go_back_and_finalize_to_the_result(page, demo_data):
    assessment_id, due = open_summary_with_a_deadline(page, demo_data)
    sign(page, "[data-signature-pad]:not([data-signature-for])")
    page.fill("#station_representative-name", "刘主任")
    sign(page, "[data-signature-for=station_representative]")
    shot(page, "summary-signed")

    page.get_by_role("button", name="核对并定稿").click()
    expect(page.locator("h1")).to_have_text("定稿前核对")
    expect(page.locator("#signed .signature-image")).to_have_count(2)
    expect(page.locator("#signed")).to_contain_text("刘主任")
    expect(page.locator("#review-deadlines")).to_contain_text(f"{due.year}年{due.month}月{due.day}日")
    shot(page, "review")

    page.get_by_role("button", name="返回汇总").click()
    expect(page.locator("#station_representative-name")).to_have_value("刘主任")
    expect(page.locator("#rectification_due")).to_have_value(due.isoformat())
    expect(page.locator(".signature-kept")).to_have_count(2)
    for kept in page.locator(".signature-kept").all():
        expect(kept).to_be_visible()

    page.get_by_role("button", name="核对并定稿").click()
    page.get_by_role("button", name="定稿", exact=True).click()
    expect(page.locator(".flash")).to_have_text("评估已定稿。")
    expect(page.get_by_role("link", name="正式评估报告")).to_be_visible()
    expect(page.get_by_role("link", name="下载 PDF")).to_be_visible()
    with demo_data.app.app_context():
        assert db.session.get(Assessment, assessment_id).rectification_due == due
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "result")


def kept_signatures(server, assessment_id: int) -> dict:
    with server.app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        return {s.role: (s.name, s.image) for s in assessment.signatures}


def test_signatures_reach_the_server_as_they_are_made_and_survive_leaving_the_page(page, demo_data):
    assessment_id = complete_assessment(demo_data.app)
    log_in(page, demo_data.url, "assessor1")
    summary = f"{demo_data.url}/assess/{assessment_id}/summary"
    page.goto(summary)
    page.fill("#station_representative-name", "刘主任")
    sign(page, "[data-signature-for=station_representative]")
    wait_until_outbox_empty(page)
    assert kept_signatures(demo_data, assessment_id)["station_representative"][0] == "刘主任"

    page.context.set_offline(True)
    sign(page, "[data-signature-pad]:not([data-signature-for])")
    expect(page.locator("#finalize-waiting")).to_contain_text("1 个签字待同步")
    expect(page.get_by_role("button", name="核对并定稿")).to_be_disabled()
    shot(page, "summary-signature-waiting-offline")
    assert "lead_assessor" not in kept_signatures(demo_data, assessment_id)
    page.context.set_offline(False)
    wait_until_outbox_empty(page)
    lead_name, lead_image = kept_signatures(demo_data, assessment_id)["lead_assessor"]
    assert lead_name and lead_image.startswith(b"\x89PNG")

    page.goto(f"{demo_data.url}/assess/")
    page.goto(summary)
    expect(page.locator("#station_representative-name")).to_have_value("刘主任")
    expect(page.locator(".signature-kept")).to_have_count(2)
    page.get_by_role("button", name="核对并定稿").click()
    expect(page.locator("#signed .signature-image")).to_have_count(2)


def test_review_and_finalize_with_the_server_unreachable_say_so_and_keep_what_was_entered(page, demo_data):
    assessment_id, due = open_summary_with_a_deadline(page, demo_data)
    page.fill("#station_representative-name", "刘主任")
    wait_until_outbox_empty(page)

    page.context.set_offline(True)
    page.get_by_role("button", name="核对并定稿").click()
    refusal = page.locator("#finalize-form .needs-server")
    expect(refusal).to_contain_text("需要连接服务器")
    shot(page, "summary-finalize-offline")
    expect(page.locator("#rectification_due")).to_have_value(due.isoformat())
    expect(page.locator("#station_representative-name")).to_have_value("刘主任")

    page.context.set_offline(False)
    page.get_by_role("button", name="核对并定稿").click()
    expect(page.locator("h1")).to_have_text("定稿前核对")
    page.context.set_offline(True)
    page.get_by_role("button", name="定稿", exact=True).click()
    expect(page.locator(".confirm-card .needs-server")).to_contain_text("需要连接服务器")
    expect(page.locator("h1")).to_have_text("定稿前核对")
    with demo_data.app.app_context():
        assert not db.session.get(Assessment, assessment_id).is_finalized

    page.context.set_offline(False)
    page.get_by_role("button", name="定稿", exact=True).click()
    expect(page.locator(".flash")).to_have_text("评估已定稿。")
    with demo_data.app.app_context():
        assert db.session.get(Assessment, assessment_id).rectification_due == due
