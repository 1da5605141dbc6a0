"""Time from reconnect to everything synced: 15 items and 3 photos scored offline, then sent over
a 400 kbit/s link with 400 ms round trips (Chromium's network emulation through CDP).

The baseline in the same run is what that link allows at best for the same bytes and requests
sent one after another: one round trip per request plus the bytes at 400 kbit/s each way.

    .venv/bin/python -m bench.sync_time
"""

import re
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from bench._app import demo_app
from bench._camera import camera_jpeg
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, log_in, wait_until
from tests.browser.test_offline import COUNT_OUTBOX

ITEMS = 15
PHOTOS = 3
ROUND_TRIP_MS = 400
BYTES_PER_SECOND = 400_000 / 8
LINK = {
    "offline": False,
    "latency": ROUND_TRIP_MS,
    "downloadThroughput": BYTES_PER_SECOND,
    "uploadThroughput": BYTES_PER_SECOND,
}


class Traffic:
    """Bytes of request and response bodies (plus the status line and headers) the server sees."""

    def __init__(self, wsgi_app):
        self.inner = wsgi_app
        self.counting = False
        self.up = self.down = self.requests = 0

    def __call__(self, environ, start_response):
        if not self.counting:
            return self.inner(environ, start_response)
        self.requests += 1
        self.up += int(environ.get("CONTENT_LENGTH") or 0) + 400

        def counted_start(status, headers, exc_info=None):
            self.down += len(status) + sum(len(k) + len(v) + 4 for k, v in headers)
            return start_response(status, headers, exc_info)

        body = b"".join(self.inner(environ, counted_start))
        self.down += len(body)
        return [body]


def score_offline(page, photo_path) -> None:
    for number in range(ITEMS):
        if number < PHOTOS:
            page.click("label[for=outcome-zero]")
            page.fill("#note", f"第 {number + 1} 项发现问题，已拍照")
            page.set_input_files("[data-photos] input[multiple]", str(photo_path))
            expect(page.locator(".photo-job[data-state=queued]")).to_have_count(1)
        else:
            page.click("label[for=outcome-full]")
        expect(page.locator("#item-status .pending")).to_be_visible()
        link = page.locator(".walk-nav a[rel=next]")
        target = link.get_attribute("href")
        link.click()
        page.wait_for_url(f"**{target}")


def main() -> None:
    app = demo_app()
    traffic = Traffic(app.wsgi_app)
    app.wsgi_app = traffic
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    photo_path = Path(tempfile.mkdtemp(prefix="bench-")) / "camera.jpg"
    photo_path.write_bytes(camera_jpeg((4000, 3000)))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        log_in(page, base, "assessor1")
        page.get_by_role("link", name=re.compile("上海市机电")).click()
        page.wait_for_url(re.compile(r"/items/"))
        expect(page.locator(".offline-status.ready")).to_be_visible(timeout=60_000)
        context.set_offline(True)
        score_offline(page, photo_path)
        waiting = page.evaluate(COUNT_OUTBOX)

        traffic.counting = True
        cdp.send("Network.emulateNetworkConditions", LINK)
        context.set_offline(False)
        started = time.perf_counter()
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_until(page, f"{COUNT_OUTBOX}.then((count) => count === 0)", seconds=600)
        seconds = time.perf_counter() - started
        traffic.counting = False
        browser.close()
    server.shutdown()

    best = traffic.requests * ROUND_TRIP_MS / 1000 + (traffic.up + traffic.down) / BYTES_PER_SECOND
    print(f"{ITEMS} items and {PHOTOS} photos (12 MP camera JPEGs, shrunk on the phone) scored offline")
    print(f"  outbox entries waiting   {waiting:8d}")
    print(f"  link                     {BYTES_PER_SECOND * 8 / 1000:8.0f} kbit/s, {ROUND_TRIP_MS} ms RTT")
    print(f"  reconnect -> all synced  {seconds:8.1f} s")
    print(f"  requests                 {traffic.requests:8d}")
    print(f"  bytes up                 {traffic.up:8,d}")
    print(f"  bytes down               {traffic.down:8,d}")
    print(f"  best the link allows     {best:8.1f} s  serially (sync took {seconds / best:.2f}x that)")

if __name__ == "__main__":
    main()
