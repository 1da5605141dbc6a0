"""Time from reconnect to everything synced: 15 items and 3 photos scored offline, then sent over
a 400 kbit/s link with 400 ms round trips (Chromium's network emulation through CDP).

The baseline in the same run is what that link allows at best for the same bytes and requests
sent one after another: one round trip per request plus the bytes at 400 kbit/s each way.
Counting goes on after the outbox is empty until the service worker has refreshed the phone's
copies of the pages the changes made stale (the index, the summary, the home and the item pages
of photos; an item's result updates its page's copy from the server's answer, without a GET).

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


def is_page_get(environ) -> bool:
    """A page fetched again to refresh the phone's copy (the service worker's own script aside)."""
    path = environ["PATH_INFO"]
    return environ["REQUEST_METHOD"] == "GET" and not path.startswith("/api/") and path != "/sw.js"


class Traffic:
    """Each request the server sees while counting: its path, and the bytes of its body plus the
    request line and headers (about 400 B up) and of the answer's status line, headers and body."""

    def __init__(self, wsgi_app):
        self.inner = wsgi_app
        self.counting = False
        self.seen = []

    def __call__(self, environ, start_response):
        if not self.counting:
            return self.inner(environ, start_response)
        record = {"path": environ["PATH_INFO"], "page": is_page_get(environ), "at": time.perf_counter()}
        record["up"] = int(environ.get("CONTENT_LENGTH") or 0) + 400
        self.seen.append(record)

        def counted_start(status, headers, exc_info=None):
            record["down"] = len(status) + sum(len(k) + len(v) + 4 for k, v in headers)
            return start_response(status, headers, exc_info)

        body = b"".join(self.inner(environ, counted_start))
        record["down"] += len(body)
        return [body]


def tally(records: list[dict]) -> tuple[int, int, int]:
    """Requests, bytes up and bytes down."""
    return len(records), sum(r["up"] for r in records), sum(r["down"] for r in records)


def link_seconds(requests: int, up: int, down: int) -> float:
    """The best the emulated link allows: a round trip per request, the bytes at its speed."""
    return requests * ROUND_TRIP_MS / 1000 + (up + down) / BYTES_PER_SECOND


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


# The service worker's list of stale page copies exists once a change was confirmed, and is
# empty once every one of them has been fetched again.
COPIES_REFRESHED = """caches.match("/offline-stale")
  .then((answer) => (answer ? answer.json() : null))
  .then((stale) => Array.isArray(stale) && stale.length === 0)"""


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
        wait_until(page, f"{COUNT_OUTBOX}.then((count) => count === 0)", seconds=600)
        synced_at = time.perf_counter()
        wait_until(page, COPIES_REFRESHED, seconds=600)
        traffic.counting = False
        browser.close()
    server.shutdown()

    sync = [r for r in traffic.seen if not r["page"]]
    refresh = [r for r in traffic.seen if r["page"]]
    requests, up, down = tally(sync)
    best = link_seconds(requests, up, down)
    photo_bytes = sum(r["up"] for r in sync if r["path"].endswith("/photos"))
    print(f"{ITEMS} items and {PHOTOS} photos (12 MP camera JPEGs, shrunk on the phone) scored offline")
    print(f"  outbox entries waiting   {waiting:8d}")
    print(f"  link                     {BYTES_PER_SECOND * 8 / 1000:8.0f} kbit/s, {ROUND_TRIP_MS} ms RTT")
    print(f"  reconnect -> all synced  {synced_at - started:8.1f} s")
    took = synced_at - started
    photo_seconds = photo_bytes / BYTES_PER_SECOND
    print(f"  requests                 {requests:8d}")
    print(f"  bytes up                 {up:8,d}  (photos {photo_bytes:,d}: {photo_seconds:.1f} s alone)")
    print(f"  bytes down               {down:8,d}")
    print(f"  best the link allows     {best:8.1f} s  serially (the sync took {took / best:.2f}x)")
    count, _, refresh_down = tally(refresh)
    print(f"  then, copies refreshed   {count:8d} GETs, {refresh_down:,d} B down:")
    print(f"                           {' '.join(sorted(r['path'] for r in refresh))}")
    # The service worker's requests escape the page's network emulation: priced on the link instead.
    refresh_seconds = link_seconds(*tally(refresh))
    print(f"  refresh on that link     {refresh_seconds:8.1f} s  in the background, after the sync")


if __name__ == "__main__":
    main()
