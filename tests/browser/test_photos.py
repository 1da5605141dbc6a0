"""Evidence photos in real Chromium at phone size: shrink, upload, retry, full view, mark-up."""

import math
import time

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from app.extensions import db
from app.models import Assessment, Finding
from tests.browser.conftest import log_in
from tests.browser.test_walk import go_to_next_item

ITEM = "5.3.1"


def ledger_photo(path, size=(4000, 3000), label="") -> int:
    """A 12-megapixel camera-like JPEG of ruled ledger lines, with a capture time in its EXIF."""
    image = Image.new("RGB", size, (205, 196, 176))
    draw = ImageDraw.Draw(image)
    if label:
        draw.text((size[0] // 3, size[1] // 3), label, fill=(160, 20, 20), font_size=size[1] // 4)
    for y in range(150, size[1] - 100, 110):
        draw.line([(250, y), (size[0] - 250, y)], fill=(50, 60, 120), width=5)
        line = f"2026-11-{y % 28 + 1:02d}  exam ledger line {y}"
        draw.text((270, y - 70), line, fill=(25, 25, 25), font_size=60)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:41:05"
    image.save(path, format="JPEG", quality=92, exif=exif)
    return path.stat().st_size


def in_progress_assessment_id(server) -> int:
    with server.app.app_context():
        return db.session.scalar(db.select(Assessment.id).filter_by(status="in_progress"))


def in_progress_item_url(server) -> str:
    return f"{server.url}/assess/{in_progress_assessment_id(server)}/items/{ITEM}"


def in_progress_finding(server) -> Finding | None:
    return db.session.scalar(
        db.select(Finding).filter_by(assessment_id=in_progress_assessment_id(server), item_id=ITEM)
    )


def stored_photos(server) -> list[tuple[int, int, int | None]]:
    with server.app.app_context():
        finding = in_progress_finding(server)
        photos = finding.photos if finding else []
        return [(p.width, p.height, p.marked_up_from_id) for p in photos]


def record_upload_sizes(page, url_end: str) -> list[int]:
    """The body size of every photo POST the page sends to a URL ending in `url_end`."""
    sizes = []
    page.on(
        "request",
        lambda request: (
            sizes.append(len(request.post_data_buffer or b""))
            if request.method == "POST" and request.url.endswith(url_end)
            else None
        ),
    )
    return sizes


def open_item(page, server, tmp_path, size=(1200, 900)) -> str:
    """Log in as an assessor and open the item; answers a photo file ready to pick."""
    source = tmp_path / "sign.jpg"
    ledger_photo(source, size=size)
    log_in(page, server.url, "assessor1")
    page.goto(in_progress_item_url(server))
    return str(source)


def expect_each_photo_shown_once(page, photos: int) -> None:
    """A photo is shown once: as its row while it is on its way, or in the strip once saved."""
    expect(page.locator(".photo-strip > li")).to_have_count(photos)
    expect(page.locator(".photo-queue > li")).to_have_count(0)
    expect(page.locator(".photo-strip .photo-caption")).to_have_count(photos)


def wait_for_server(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the server never got it"
        time.sleep(0.2)


def draw_circle(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 70, cy)
    page.mouse.down()
    for step in range(37):
        angle = math.pi + step * math.pi / 18
        page.mouse.move(cx + 70 * math.cos(angle), cy + 45 * math.sin(angle))
    page.mouse.up()


def test_assessor_photographs_a_deduction_marks_it_up_and_sees_both(page, demo_data, tmp_path):
    source = tmp_path / "ledger.jpg"
    source_bytes = ledger_photo(source)
    sent = record_upload_sizes(page, "/photos")
    log_in(page, demo_data.url, "assessor1")
    page.goto(in_progress_item_url(demo_data))
    page.click("label[for=outcome-zero]")
    expect(page.locator(".photos-needed")).to_be_visible()

    expect(page.locator("details.no-photo")).to_have_attribute("open", "")
    page.set_input_files("[data-photos] input[capture]", str(source))
    job = page.locator(".photo-job").first
    expect(job).to_have_attribute("data-state", "saved", timeout=20_000)
    expect(job.locator(".photo-job-state")).to_have_text("已保存")
    expect_each_photo_shown_once(page, 1)
    expect(page.locator(".photos-needed")).to_have_count(0)
    expect(page.locator("details.no-photo")).not_to_have_attribute("open", "")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    assert sent and sent[0] < source_bytes / 2, f"the phone sent {sent[0]} of {source_bytes} bytes"
    ((width, height, _),) = stored_photos(demo_data)
    assert (width, height) == (1600, 1200)

    page.click(".photo-strip a")
    expect(page.locator(".photo-count")).to_have_text("照片 1/1")
    expect(page.locator(".photo-full")).to_contain_text("拍摄于 2026/11/20 09:41")
    page.click("[data-markup-start]")
    expect(page.locator("[data-markup-canvas]")).to_be_visible()
    draw_circle(page, "[data-markup-canvas]")
    original_url = page.url
    page.click("[data-markup-save]")
    # While the server answers, the copy's own page opens once it is stored; a loaded machine may take long.
    page.wait_for_url(lambda url: url != original_url, timeout=90_000)
    expect(page.locator(".photo-count")).to_have_text("照片 2/2")
    expect(page.locator(".photo-full .photo-role")).to_have_text("标注副本")
    expect(page.locator(".photo-counterpart .photo-role")).to_have_text("原图")
    for image in page.locator(".photo-view img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") == 1600

    photos = stored_photos(demo_data)
    assert len(photos) == 2 and photos[1][2] is not None, "the copy points at its original"

    page.click("a[rel=prev]")
    expect(page.locator(".photo-count")).to_have_text("照片 1/2")
    expect(page.locator(".photo-counterpart .photo-role")).to_have_text("标注副本")
    page.click(".crumbs a")
    expect(page.locator(".photo-strip img")).to_have_count(2)
    expect(page.locator(".photo-strip .photo-tag")).to_have_text("已标注")


def test_upload_refused_by_the_server_stays_visible_and_retry_saves_it_once(page, demo_data, tmp_path):
    source = tmp_path / "sign.jpg"
    ledger_photo(source, size=(1600, 1200))
    log_in(page, demo_data.url, "assessor1")
    page.goto(in_progress_item_url(demo_data))
    page.route(
        "**/findings/*/photos",
        lambda route: route.fulfill(status=503, json={"error": "服务器维护中"}),
    )
    page.set_input_files("[data-photos] input[multiple]", str(source))
    job = page.locator(".photo-job").first
    expect(job).to_have_attribute("data-state", "failed")
    expect(job.locator(".photo-job-state")).to_contain_text("服务器维护中")
    assert stored_photos(demo_data) == []

    page.unroute("**/findings/*/photos")
    job.locator(".photo-job-retry").click()
    expect(job).to_have_attribute("data-state", "saved")
    expect(page.locator(".photo-strip img")).to_have_count(1)
    assert len(stored_photos(demo_data)) == 1


def test_upload_cut_by_the_network_waits_on_the_phone_and_is_sent_once(page, demo_data, tmp_path):
    source = tmp_path / "sign.jpg"
    ledger_photo(source, size=(1600, 1200))
    log_in(page, demo_data.url, "assessor1")
    page.goto(in_progress_item_url(demo_data))
    page.route("**/findings/*/photos", lambda route: route.abort("internetdisconnected"))
    page.set_input_files("[data-photos] input[multiple]", str(source))
    job = page.locator(".photo-job").first
    expect(job).to_have_attribute("data-state", "queued")
    expect(job.locator(".photo-job-state")).to_contain_text("已存于本机")
    assert stored_photos(demo_data) == []

    page.unroute("**/findings/*/photos")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator(".photo-strip img")).to_have_count(1)
    assert len(stored_photos(demo_data)) == 1


def test_swipe_moves_between_photos_in_the_full_view(page, demo_data, tmp_path):
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    ledger_photo(first, size=(1200, 900))
    ledger_photo(second, size=(900, 1200))
    log_in(page, demo_data.url, "assessor1")
    page.goto(in_progress_item_url(demo_data))
    page.set_input_files("[data-photos] input[multiple]", [str(first), str(second)])
    expect(page.locator(".photo-job[data-state=saved]")).to_have_count(2, timeout=20_000)
    expect_each_photo_shown_once(page, 2)
    page.locator(".photo-strip a").first.click()
    expect(page.locator(".photo-count")).to_have_text("照片 1/2")
    page.locator("[data-swipe]").evaluate(
        """figure => {
            const touch = (x) => new Touch({identifier: 1, target: figure, clientX: x, clientY: 300});
            figure.dispatchEvent(new TouchEvent("touchstart", {touches: [touch(300)], bubbles: true}));
            figure.dispatchEvent(new TouchEvent("touchend", {changedTouches: [touch(80)], bubbles: true}));
        }"""
    )
    expect(page.locator(".photo-count")).to_have_text("照片 2/2")
    page.wait_for_load_state("load")
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".photo-count")).to_have_text("照片 1/2")


def test_reason_instead_of_a_photo_is_saved_from_the_item_page(page, demo_data):
    log_in(page, demo_data.url, "assessor1")
    page.goto(in_progress_item_url(demo_data))
    page.click("label[for=outcome-zero]")
    expect(page.locator("details.no-photo")).to_have_attribute("open", "")
    page.fill("[data-photos] textarea[name=no_photo_reason]", "考场正在考试，禁止拍照。")
    page.click("[data-no-photo-form] button[type=submit]")
    expect(page.locator("[data-reason-state]")).to_have_text("已保存")
    with demo_data.app.app_context():
        assert in_progress_finding(demo_data).no_photo_reason == "考场正在考试，禁止拍照。"


def finding_field(server, name: str):
    with server.app.app_context():
        finding = in_progress_finding(server)
        return getattr(finding, name) if finding else None


def photo_captions(server) -> list[str]:
    with server.app.app_context():
        finding = in_progress_finding(server)
        return [p.caption for p in finding.photos] if finding else []


def test_a_reason_typed_then_next_at_once_reaches_the_server(page, demo_data):
    log_in(page, demo_data.url, "assessor1")
    page.goto(in_progress_item_url(demo_data))
    page.click("label[for=outcome-zero]")
    page.fill("[data-photos] textarea[name=no_photo_reason]", "考场正在考试，禁止拍照。")
    go_to_next_item(page)
    wait_for_server(lambda: finding_field(demo_data, "no_photo_reason") == "考场正在考试，禁止拍照。")


def test_a_caption_typed_then_next_at_once_reaches_the_server(page, demo_data, tmp_path):
    source = open_item(page, demo_data, tmp_path)
    page.set_input_files("[data-photos] input[multiple]", source)
    expect_each_photo_shown_once(page, 1)
    page.locator(".photo-strip .photo-caption").fill("二楼消防通道")
    go_to_next_item(page)
    wait_for_server(lambda: photo_captions(demo_data) == ["二楼消防通道"])
    page.go_back()
    expect(page.locator(".photo-strip .photo-caption")).to_have_value("二楼消防通道")


def test_a_waiting_reason_and_caption_are_shown_again_after_a_reload(page, demo_data, tmp_path):
    source = open_item(page, demo_data, tmp_path)
    page.click("label[for=outcome-zero]")
    page.route("**/findings/*/photos", lambda route: route.abort("internetdisconnected"))
    page.route("**/no-photo-reason", lambda route: route.abort("internetdisconnected"))
    page.set_input_files("[data-photos] input[multiple]", source)
    expect(page.locator(".photo-job").first).to_have_attribute("data-state", "queued")
    page.locator(".photo-job-caption").fill("门锁损坏")
    expect(page.locator("details.no-photo")).not_to_have_attribute("open", "")
    page.click("details.no-photo summary")
    page.fill("[data-photos] textarea[name=no_photo_reason]", "另一处禁止拍照")
    expect(page.locator("[data-reason-state]")).to_have_text("已存于本机，尚未同步。")
    page.reload()
    expect(page.locator("[data-photos] textarea[name=no_photo_reason]")).to_have_value("另一处禁止拍照")
    expect(page.locator("details.no-photo")).to_have_attribute("open", "")
    expect(page.locator(".photo-job-caption")).to_have_value("门锁损坏")
    assert finding_field(demo_data, "no_photo_reason") in (None, "")
    page.unroute("**/findings/*/photos")
    page.unroute("**/no-photo-reason")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect_each_photo_shown_once(page, 1)
    wait_for_server(lambda: finding_field(demo_data, "no_photo_reason") == "另一处禁止拍照")
    wait_for_server(lambda: photo_captions(demo_data) == ["门锁损坏"])


def open_first_photo(page, server, tmp_path):
    page.set_input_files("[data-photos] input[multiple]", open_item(page, server, tmp_path))
    expect_each_photo_shown_once(page, 1)
    page.click(".photo-strip a")
    expect(page.locator(".photo-count")).to_have_text("照片 1/1")


def test_a_mark_up_saved_while_the_server_is_unreachable_goes_to_the_item_at_once_and_is_sent_once(
    page, demo_data, tmp_path
):
    open_first_photo(page, demo_data, tmp_path)
    page.route("**/findings/*/photos", lambda route: route.abort("internetdisconnected"))
    page.route("**/api/me", lambda route: route.abort("internetdisconnected"))
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    page.click("[data-markup-start]")
    draw_circle(page, "[data-markup-canvas]")
    started = time.monotonic()
    page.click("[data-markup-save]")
    page.wait_for_url(in_progress_item_url(demo_data), timeout=10_000)
    assert time.monotonic() - started < 10, "it did not wait for a server that does not answer"
    expect(page.locator(".photo-queue .photo-job")).to_have_attribute("data-state", "queued")
    assert len(stored_photos(demo_data)) == 1
    page.unroute("**/findings/*/photos")
    page.unroute("**/api/me")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect_each_photo_shown_once(page, 2)
    photos = stored_photos(demo_data)
    assert len(photos) == 2 and photos[1][2] is not None


def test_a_mark_up_saved_before_the_server_ever_answered_goes_to_the_item_once_a_probe_fails(
    page, demo_data, tmp_path
):
    """The upload hangs and the page has not heard from the server yet: the failed probe, not
    the upload's 30 s stall or the 60 s wait for a confirmation, sends the assessor on."""
    open_first_photo(page, demo_data, tmp_path)
    hung = []
    page.route("**/findings/*/photos", lambda route: hung.append(route))
    page.route("**/api/me", lambda route: hung.append(route))
    page.reload()
    page.click("[data-markup-start]")
    draw_circle(page, "[data-markup-canvas]")
    page.click("[data-markup-save]")
    page.wait_for_url(in_progress_item_url(demo_data), timeout=25_000)
    expect(page.locator(".photo-queue .photo-job")).to_have_attribute("data-state", "queued")
    assert len(stored_photos(demo_data)) == 1


LEAVING_IS_GUARDED = """() => {
  const leaving = new Event("beforeunload", { cancelable: true });
  window.dispatchEvent(leaving);
  return leaving.defaultPrevented;
}"""


def test_a_mark_up_kept_only_in_memory_keeps_the_page_until_it_is_sent(page, demo_data, tmp_path):
    from tests.browser.test_outbox import BLOBS_REFUSED  # that module imports this one

    page.add_init_script(BLOBS_REFUSED)
    open_first_photo(page, demo_data, tmp_path)
    expect(page.locator(".photo-memory-warning")).to_contain_text("无法在本机保存照片")
    assert page.evaluate(LEAVING_IS_GUARDED) is False
    page.route("**/findings/*/photos", lambda route: route.abort("internetdisconnected"))
    page.click("[data-markup-start]")
    draw_circle(page, "[data-markup-canvas]")
    original_url = page.url
    page.click("[data-markup-save]")
    expect(page.locator("[data-markup-state]")).to_have_text(
        "仅保存在本页内存中：请保持页面打开，直到显示已保存。"
    )
    assert page.evaluate(LEAVING_IS_GUARDED) is True
    assert page.url == original_url
    page.unroute("**/findings/*/photos")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_url(lambda url: url != original_url, timeout=60_000)
    expect(page.locator(".photo-count")).to_have_text("照片 2/2")
    assert len(stored_photos(demo_data)) == 2


def held_routes(page, url: str) -> list:
    """Hold every request to `url` until the test continues it: answers the list the held routes go to."""
    held = []
    page.route(url, lambda route: held.append(route))
    return held


def wait_for_held(page, held: list, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not held:
        assert time.monotonic() < deadline, "the request never came"
        page.wait_for_timeout(100)


def test_a_photo_still_loading_is_marked_up_only_once_it_shows(page, demo_data, tmp_path):
    # On a busy run the photo had not loaded when 标注 was tapped: the copy was a canvas of 0×0,
    # which encodes to nothing; it went to the outbox without its photo, was refused as lost, and
    # the page said 正在保存… for a minute.
    from tests.browser.test_outbox import BLOBS_REFUSED  # that module imports this one

    page.add_init_script(BLOBS_REFUSED)
    page.set_input_files("[data-photos] input[multiple]", open_item(page, demo_data, tmp_path))
    expect_each_photo_shown_once(page, 1)
    held = held_routes(page, "**/photos/*/image")
    page.click(".photo-strip a")
    expect(page.locator(".photo-memory-warning")).to_contain_text("无法在本机保存照片")
    wait_for_held(page, held)
    expect(page.locator("[data-markup-start]")).to_be_hidden()

    for route in held:
        route.continue_()
    page.unroute("**/photos/*/image")
    page.click("[data-markup-start]")
    draw_circle(page, "[data-markup-canvas]")
    original_url = page.url
    page.click("[data-markup-save]")
    page.wait_for_url(lambda url: url != original_url, timeout=60_000)
    expect(page.locator(".photo-count")).to_have_text("照片 2/2")
    assert [(width, height) for width, height, _ in stored_photos(demo_data)] == [(1200, 900), (1200, 900)]


# The browser hands back no JPEG for the canvas (an encoding that failed).
ENCODING_FAILS = """
HTMLCanvasElement.prototype.toBlob = function (callback) { setTimeout(() => callback(null)); };
"""


def test_a_mark_up_the_browser_cannot_encode_says_saving_failed_and_keeps_nothing(page, demo_data, tmp_path):
    from tests.browser.test_offline import COUNT_OUTBOX

    page.add_init_script(ENCODING_FAILS)
    open_first_photo(page, demo_data, tmp_path)
    page.click("[data-markup-start]")
    draw_circle(page, "[data-markup-canvas]")
    page.click("[data-markup-save]")
    expect(page.locator("[data-markup-state]")).to_have_text("保存失败，请重试。")
    expect(page.locator("[data-markup-save]")).to_be_enabled()
    assert page.evaluate(COUNT_OUTBOX) == 0
    assert len(stored_photos(demo_data)) == 1


def test_a_caption_being_typed_when_its_photo_is_saved_stays_under_the_finger(page, demo_data, tmp_path):
    source = open_item(page, demo_data, tmp_path)
    page.route("**/findings/*/photos", lambda route: route.abort("internetdisconnected"))
    page.set_input_files("[data-photos] input[multiple]", source)
    caption = page.locator(".photo-job-caption")
    expect(page.locator(".photo-job")).to_have_attribute("data-state", "queued")
    caption.press_sequentially("门锁")
    page.unroute("**/findings/*/photos")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator(".photo-job")).to_have_attribute("data-state", "saved")
    expect(caption).to_be_focused()
    caption.press_sequentially("损坏")
    caption.blur()
    expect_each_photo_shown_once(page, 1)
    expect(page.locator(".photo-strip .photo-caption")).to_have_value("门锁损坏")
    wait_for_server(lambda: photo_captions(demo_data) == ["门锁损坏"])
