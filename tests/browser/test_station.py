"""The station's journey in real Chromium at phone size: findings, photos, 404s, rectification,
review, sign-off on the pad at finalize, and the official report and its PDF."""

import os
import time
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from app.extensions import db
from app.models import Assessment, Signature, User
from app.services import assessments
from tests.browser.conftest import PDF_DRAWN_MS, log_in
from tests.browser.test_photos import ledger_photo, record_upload_sizes
from tests.report_fixtures import complete_assessment


def shots_dir(tmp_path) -> Path:
    """Screenshots go to SHOTS_DIR when set (to look at them), else into the test's temporary folder."""
    folder = Path(os.environ.get("SHOTS_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wait_for_kept_pdf(app, assessment_id: int) -> None:
    """Until the assessment's report PDF is drawn and kept, for at most PDF_DRAWN_MS."""
    reports = Path(app.config["UPLOAD_DIR"]) / "reports"
    deadline = time.monotonic() + PDF_DRAWN_MS / 1000
    while not list(reports.glob(f"{assessment_id}-*.pdf")):
        assert time.monotonic() < deadline, f"the PDF of assessment {assessment_id} was never drawn"
        time.sleep(0.2)


def finalized_id(server, station_code="BJ001") -> int:
    with server.app.app_context():
        return db.session.scalar(
            db.select(Assessment.id).join(Assessment.station).filter(Assessment.status == "finalized")
            .where(db.text("stations.code = :code")).params(code=station_code)
        )  # fmt: skip


def finalize_other_station(server) -> tuple[int, int]:
    """A finalized assessment with a photo at SH002, which BJ001's staff must not see."""
    assessment_id = complete_assessment(server.app, station_code="SH002", zero_item="4.2.1")
    with server.app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assessments.finalize(assessment, db.session.scalar(db.select(User).filter_by(username="assessor1")))
        db.session.commit()
        return assessment_id, assessment.finding_for("4.2.1").photos[0].id


def repair_photo(path: Path) -> Path:
    image = Image.new("RGB", (1600, 1200), (230, 230, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((300, 300, 1300, 900), fill=(60, 140, 90), outline=(20, 20, 20), width=14)
    draw.text((360, 360), "NEW GUARD FITTED", fill=(255, 255, 255), font_size=90)
    image.save(path, format="JPEG", quality=88)
    return path


def sign(page, selector: str) -> None:
    """Draw a signature with the mouse (pointer events) across the pad."""
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(x + w * (0.1 + step * 0.03), y + h * (0.6 - 0.25 * ((-1) ** step)))
    page.mouse.up()


def test_station_staff_read_answer_and_assessor_reviews_and_signs(page, demo_data, tmp_path):
    server = demo_data
    shots = shots_dir(tmp_path)
    own = finalized_id(server)
    other, other_photo = finalize_other_station(server)

    log_in(page, server.url, "staff1")
    page.goto(f"{server.url}/station/")
    expect(page.get_by_text("97 / 100")).to_be_visible()
    page.screenshot(path=str(shots / "01-station-home.png"))

    page.locator(f"a[href='/station/assessments/{own}']").click()
    expect(page.locator("#deductions-title")).to_contain_text("3")
    deduction = page.locator("#item-4\\.1\\.1")
    expect(deduction).to_contain_text("二楼实操室一台车床防护罩缺失。")
    thumb = deduction.locator(".photo-strip img").first
    expect(thumb).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) > 0
    page.screenshot(path=str(shots / "02-findings.png"))
    page.screenshot(path=str(shots / "02b-findings-full.png"), full_page=True)

    thumb.click()
    expect(page.locator("[data-photo-image]")).to_be_visible()
    page.screenshot(path=str(shots / "03-evidence-photo.png"))

    for url in (f"/station/assessments/{other}", f"/photos/{other_photo}", f"/photos/{other_photo}/image"):
        response = page.goto(f"{server.url}{url}")
        assert response.status == 404, url
    page.goto(f"{server.url}/station/assessments/{other}")
    page.screenshot(path=str(shots / "04-other-station-404.png"))

    page.goto(f"{server.url}/station/assessments/{own}")
    deduction = page.locator("#item-4\\.1\\.1")
    deduction.locator("textarea[name=text]").fill("车床防护罩已重新安装，并增加了每周检查记录。")
    deduction.locator("input[data-rect-photos]").set_input_files(str(repair_photo(tmp_path / "repair.jpg")))
    deduction.locator("button[type=submit]").click()
    deduction = page.locator("#item-4\\.1\\.1")
    expect(deduction.locator(".rectification-status .badge")).to_have_text("已答复")
    expect(deduction.locator(".rect-answer .photo-strip img")).to_be_visible()
    deduction.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "05-answered.png"))

    page.goto(f"{server.url}/logout")
    page.context.clear_cookies()
    log_in(page, server.url, "assessor1")
    page.goto(f"{server.url}/assess/{own}/summary")
    entry = page.locator(f"#review-{own}-4\\.1\\.1")
    expect(entry).to_contain_text("车床防护罩已重新安装")
    entry.locator("textarea[name=comment]").fill("现场复查，已安装。")
    entry.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "06-review.png"))
    entry.locator("button[value=accepted]").click()
    expect(page.locator(".flash")).to_have_text("审核已保存。")
    page.goto(f"{server.url}/station/assessments/{own}")
    expect(page.locator("#item-4\\.1\\.1 .rectification-status .badge")).to_have_text("已认可")

    fresh = complete_assessment(server.app, station_code="GZ003")
    page.goto(f"{server.url}/assess/{fresh}/summary")
    lead_pad = page.locator("[data-signature-pad]").first
    expect(lead_pad).to_be_visible()
    lead_pad.scroll_into_view_if_needed()
    sign(page, "[data-signature-pad] canvas >> nth=0")
    page.fill("#station_representative-name", "刘主任")
    sign(page, "[data-signature-for=station_representative] canvas")
    expect(page.locator("[data-signature-pad].signed")).to_have_count(2)
    page.screenshot(path=str(shots / "07-signoff.png"))
    # As in production, finalizing starts drawing the report's PDF (tests' default is at download).
    server.app.config["REPORT_PDF_AHEAD"] = True
    page.locator("#finalize-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("定稿前核对")
    page.get_by_role("button", name="定稿", exact=True).click()
    expect(page.locator(".flash")).to_have_text("评估已定稿。")
    expect(page.locator(".locked")).to_be_visible()
    with server.app.app_context():
        signatures = db.session.scalars(db.select(Signature).filter_by(assessment_id=fresh)).all()
        assert sorted((s.role, s.name, s.image[:4]) for s in signatures) == [
            ("lead_assessor", "王建国", b"\x89PNG"),
            ("station_representative", "刘主任", b"\x89PNG"),
        ]

    page.goto(f"{server.url}/reports/assessments/{fresh}")
    expect(page.locator("h1.report-title")).to_have_text("职业技能鉴定所（站）质量管理评估表（试行）")
    expect(page.locator(".official >> nth=0")).to_be_visible()
    page.screenshot(path=str(shots / "08-report.png"))
    signoff = page.locator(".report-signoff")
    signoff.scroll_into_view_if_needed()
    expect(signoff.locator("img.signature-image")).to_have_count(2)
    page.screenshot(path=str(shots / "09-report-signoff.png"))
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "10-report-print.png"), full_page=True)
    page.emulate_media(media="screen")

    # Wait for the PDF to be drawn (minutes on a busy machine), then download it. Clicking sooner
    # would not wait: the service worker answers a page that takes over 8 s from its offline copy.
    wait_for_kept_pdf(server.app, fresh)
    with page.expect_download(timeout=PDF_DRAWN_MS) as download_info:
        page.get_by_role("link", name="下载 PDF").click()
    download = download_info.value
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    (shots / "report.pdf").write_bytes(pdf)


RECORD_ROW_STATES = """() => {
  window.__rowStates = [];
  new MutationObserver((changes) => {
    for (const change of changes) {
      const row = change.target;
      if (row.classList && row.classList.contains("photo-job")) window.__rowStates.push(row.dataset.state);
    }
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
}"""


def open_own_findings(page, server) -> int:
    """staff1 opens BJ001's finalized assessment; answers its id."""
    own = finalized_id(server)
    log_in(page, server.url, "staff1")
    page.goto(f"{server.url}/station/assessments/{own}")
    return own


def rectification_photos(server, assessment_id, item_id) -> list[list[tuple[int, int]]]:
    with server.app.app_context():
        finding = db.session.get(Assessment, assessment_id).finding_for(item_id)
        return [[(p.width, p.height) for p in r.photos] for r in finding.rectifications]


def test_staff_answer_with_four_large_photos_shrinks_each_and_saves_it_once(page, demo_data, tmp_path):
    server = demo_data
    sources = [tmp_path / f"repair-{i}.jpg" for i in range(4)]
    source_bytes = min(ledger_photo(source, label=f"No.{i}") for i, source in enumerate(sources))
    sent = record_upload_sizes(page, "/rectification/photos")
    own = open_own_findings(page, server)
    page.evaluate(RECORD_ROW_STATES)
    deduction = page.locator("#item-4\\.1\\.1")
    deduction.locator("textarea[name=text]").fill("四台车床防护罩均已装回。")
    deduction.locator("input[data-rect-photos]").set_input_files([str(s) for s in sources])
    rows = deduction.locator(".photo-job")
    expect(rows).to_have_count(4)
    expect(deduction.locator(".photo-job[data-state=ready]")).to_have_count(4, timeout=60_000)
    expect(rows.first.locator(".photo-job-state")).to_have_text("已准备好：随答复一起发送。")
    deduction.scroll_into_view_if_needed()
    page.screenshot(path=str(shots_dir(tmp_path) / "11-answer-four-photos.png"))
    assert rectification_photos(server, own, "4.1.1") == []
    deduction.locator("button[type=submit]").click()
    expect(deduction.locator(".rectification-status .badge")).to_have_text("已答复", timeout=60_000)
    expect(deduction.locator(".rect-answer .photo-strip img")).to_have_count(4)
    assert page.evaluate("window.__rowStates").count("uploading") >= 4, "each photo showed its progress"
    assert len(sent) == 4 and max(sent) < source_bytes / 2, (
        f"the phone sent {sent} of {source_bytes} bytes each"
    )
    assert rectification_photos(server, own, "4.1.1") == [[(1600, 1200)] * 4]
    page.screenshot(path=str(shots_dir(tmp_path) / "12-answered-four-photos.png"))


def test_staff_answer_made_with_the_network_cut_waits_and_is_sent_once_on_reconnect(
    page, demo_data, tmp_path
):
    server = demo_data
    own = open_own_findings(page, server)
    for pattern in ("**/rectification/photos", "**/rectification"):
        page.route(pattern, lambda route: route.abort("internetdisconnected"))
    deduction = page.locator("#item-4\\.1\\.1")
    deduction.locator("textarea[name=text]").fill("防护罩已装回。")
    deduction.locator("input[data-rect-photos]").set_input_files(str(repair_photo(tmp_path / "repair.jpg")))
    expect(deduction.locator(".photo-job")).to_have_attribute("data-state", "ready")
    deduction.locator("button[type=submit]").click()
    expect(deduction.locator(".photo-job")).to_have_attribute("data-state", "queued")
    expect(deduction.locator(".photo-job-state")).to_contain_text("已存于本机")
    expect(deduction.locator("[data-rect-state]")).to_contain_text("答复已存于本机")
    expect(deduction.locator("textarea[name=text]")).to_have_js_property("readOnly", True)
    expect(page.locator("#sync-indicator")).to_contain_text("1 张照片")
    deduction.scroll_into_view_if_needed()
    page.screenshot(path=str(shots_dir(tmp_path) / "13-answer-waiting.png"))
    assert rectification_photos(server, own, "4.1.1") == []

    page.reload()
    deduction = page.locator("#item-4\\.1\\.1")
    expect(deduction.locator("textarea[name=text]")).to_have_value("防护罩已装回。")
    expect(deduction.locator(".photo-job")).to_have_attribute("data-state", "queued")
    for pattern in ("**/rectification/photos", "**/rectification"):
        page.unroute(pattern)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(deduction.locator(".rectification-status .badge")).to_have_text("已答复", timeout=60_000)
    expect(deduction.locator(".rect-answer .photo-strip img")).to_have_count(1)
    assert rectification_photos(server, own, "4.1.1") == [[(1600, 1200)]]


def test_assessor_reviewing_on_a_phone_sees_the_evidence_and_is_asked_for_a_comment_in_place(
    page, demo_data, tmp_path
):
    server = demo_data
    own = finalized_id(server)
    log_in(page, server.url, "assessor1")
    page.goto(f"{server.url}/assess/reviews")
    entry = page.locator(f"#review-{own}-5\\.3\\.1")
    expect(entry.locator(".thumbs-mini img")).to_have_count(1)
    expect(entry.locator(".rect-answer .photo-strip img")).to_have_count(1)
    entry.locator("button[value=not_accepted]").click()
    comment = entry.locator("textarea[name=comment]")
    expect(comment).to_be_focused()
    assert comment.evaluate("field => field.validationMessage") == "请说明不认可的理由。"
    entry.scroll_into_view_if_needed()
    page.screenshot(path=str(shots_dir(tmp_path) / "14-review-needs-comment.png"))
    with server.app.app_context():
        assert db.session.get(Assessment, own).finding_for("5.3.1").rectifications[-1].review is None
    comment.fill("二楼标识仍未更换。")
    entry.locator("button[value=not_accepted]").click()
    expect(page.locator(".flash")).to_have_text("审核已保存。")
    with server.app.app_context():
        assert (
            db.session.get(Assessment, own).finding_for("5.3.1").rectifications[-1].review == "not_accepted"
        )


def test_staff_remove_a_photo_the_server_refused_and_the_answer_goes_without_it(page, demo_data, tmp_path):
    server = demo_data
    sources = [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    for i, source in enumerate(sources):
        ledger_photo(source, size=(1200, 900), label=f"No.{i}")
    uploads = []

    def refuse_the_first(route):
        uploads.append(route.request.url)
        if len(uploads) == 1:
            route.fulfill(status=415, json={"error": "这个文件不是照片。"})
        else:
            route.continue_()

    own = open_own_findings(page, server)
    page.route("**/rectification/photos", refuse_the_first)
    deduction = page.locator("#item-4\\.1\\.1")
    deduction.locator("textarea[name=text]").fill("防护罩已装回。")
    deduction.locator("input[data-rect-photos]").set_input_files([str(s) for s in sources])
    expect(deduction.locator(".photo-job[data-state=ready]")).to_have_count(2)
    deduction.locator("button[type=submit]").click()
    refused = deduction.locator(".photo-job[data-state=failed]")
    expect(refused).to_have_count(1)
    expect(refused.locator(".photo-job-state")).to_contain_text("这个文件不是照片。")
    expect(deduction.locator("[data-rect-state]")).to_contain_text("这条答复的一张照片还没有送到服务器")
    assert rectification_photos(server, own, "4.1.1") == []
    refused.locator(".photo-job-remove").click()
    expect(deduction.locator(".rectification-status .badge")).to_have_text("已答复")
    expect(deduction.locator(".rect-answer .photo-strip img")).to_have_count(1)
    assert rectification_photos(server, own, "4.1.1") == [[(1200, 900)]]


SETTLE_OUTBOX_READS = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("assessment-outbox");
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const read = opening.result.transaction("entries").objectStore("entries").getAll();
    read.onsuccess = () => { opening.result.close(); resolve(true); };
    read.onerror = () => reject(read.error);
  };
})"""


def test_an_answer_on_its_way_keeps_saying_so_while_another_deduction_is_answered(page, demo_data):
    """The outbox changing while an answer is being sent (here: a second deduction answered) must
    not put the answer's last failure back on screen as if it still waited."""
    server = demo_data
    own = open_own_findings(page, server)
    tries = []

    def fail_then_hold(route):
        tries.append(route)
        if len(tries) == 1:
            route.fulfill(status=503, json={"error": "维护中"})

    page.route("**/items/4.1.1/rectification", fail_then_hold)
    first = page.locator("#item-4\\.1\\.1")
    first.locator("textarea[name=text]").fill("防护罩已装回。")
    first.locator("button[type=submit]").click()
    expect(first.locator("[data-rect-state]")).to_contain_text("维护中")
    expect(first.locator("[data-rect-state]")).to_have_text("正在发送到服务器…", timeout=30_000)
    assert len(tries) == 2, "the answer is on its way again, and held there"

    second = page.locator("#item-6\\.5\\.1")
    second.locator("textarea[name=text]").fill("阅卷差错已复核。")
    second.locator("button[type=submit]").click()
    expect(second.locator("[data-rect-state]")).to_contain_text("答复已存于本机")
    page.evaluate(SETTLE_OUTBOX_READS)
    expect(first.locator("[data-rect-state]")).to_have_text("正在发送到服务器…")

    tries[1].continue_()
    page.unroute("**/items/4.1.1/rectification")
    expect(first.locator(".rectification-status .badge")).to_have_text("已答复", timeout=30_000)
    expect(second.locator(".rectification-status .badge")).to_have_text("已答复", timeout=30_000)
    with server.app.app_context():
        assessment = db.session.get(Assessment, own)
        assert [len(assessment.finding_for(i).rectifications) for i in ("4.1.1", "6.5.1")] == [1, 1]
