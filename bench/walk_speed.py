"""How fast 下一项 answers on a kept assessment whatever the link: the time from tapping it to the
next item showing with its outcome buttons enabled, walking 20 items in Chromium at 390x844, for a
server answering in 0 s, 3 s, 10 s, never (it accepts and holds every request) and with the phone
offline. The baseline in the same run is a bare static page linking to the next one, timed the
same way (so the browser's and Playwright's own share of the time is seen beside it).

Then how long keeping an assessment's 63 pages takes over a 400 kbit/s link: the browser goes
through a throttling proxy in this script, since the service worker's requests escape Chromium's
network emulation.

Goal: median <= 150 ms and p90 <= 300 ms in every link state; exits non-zero when missed.

    .venv/bin/python -m bench.walk_speed
"""

import contextlib
import json
import re
import socket
import statistics
import sys
import threading
import time

from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from bench._app import demo_app
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, log_in

TAPS = 20
MEDIAN_GOAL_MS = 150
P90_GOAL_MS = 300
NEVER = None
# The server's delay before it answers anything but the static files and the worker's script.
DELAYS = {"0 s": 0, "3 s": 3, "10 s": 10, "never": NEVER}
KEEP_LINK_BYTES_PER_SECOND = 400_000 / 8
NEXT = ".walk-nav a[rel=next]"
OUTCOME_BUTTONS = "#item-form label[for=outcome-full]"
KEPT_WHOLE = re.compile(r"已保存 (\d+)/\1，可离线使用")


class SlowServer:
    """The app behind a delay the bench sets; 'never' holds each request until the bench ends."""

    def __init__(self, wsgi_app):
        self.inner = wsgi_app
        self.delay = 0
        self.ended = threading.Event()
        self.first_list_at = None

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path.endswith("/offline.json") and self.first_list_at is None:
            self.first_list_at = time.perf_counter()
        if not path.startswith("/static/") and path != "/sw.js":
            if self.delay is NEVER:
                self.ended.wait()
            elif self.delay:
                self.ended.wait(self.delay)
        return self.inner(environ, start_response)


def bare_pages(environ, start_response):
    """Static pages, each a link to the next and a button, with nothing else: the baseline."""
    name = environ["PATH_INFO"].strip("/") or "0"
    if not name.isdigit():
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    number = int(name)
    body = (
        f'<!doctype html><meta name="viewport" content="width=device-width"><h1>{number}</h1>'
        f'<a rel="next" href="/{number + 1}">下一项</a><button>未发现问题</button>'
    ).encode()
    start_response(
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def serve(wsgi_app):
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


# Timed in the page, on the browser's clock: the tap as its click event fires (kept across the
# navigation in sessionStorage), and the first animation frame at which the next page shows
# `shown` visible and enabled, so no round trip to Playwright is counted.
TIMING = """
(() => {
  const [link, shown] = %s;
  const now = () => performance.timeOrigin + performance.now();
  addEventListener("click", (event) => {
    if (event.target.closest(link)) sessionStorage.setItem("tapped-at", String(now()));
  }, true);
  const look = () => {
    const found = document.querySelector(shown);
    const input = found && document.getElementById(found.htmlFor);
    if (found && found.getClientRects().length && !(input ? input.disabled : found.disabled)) {
      window.shownAfter = now() - Number(sessionStorage.getItem("tapped-at"));
    } else {
      requestAnimationFrame(look);
    }
  };
  requestAnimationFrame(look);
})();
"""


def tap_and_time(page, link: str) -> float:
    """Milliseconds from tapping `link` to the page it leads to showing what the walk needs."""
    target = page.locator(link).get_attribute("href")
    page.locator(link).click()
    page.wait_for_url(f"**{target}", wait_until="commit")
    page.wait_for_function("window.shownAfter !== undefined")
    return page.evaluate("window.shownAfter")


def walk(page, link: str) -> list[float]:
    return [tap_and_time(page, link) for _ in range(TAPS)]


def timed_phone(browser, link: str, shown: str):
    """A phone whose pages time each tap on `link` until `shown` shows."""
    context, page = new_phone(browser)
    context.add_init_script(TIMING % json.dumps([link, shown]))
    return context, page


def say(text: str) -> None:
    """Where the run is, on stderr: the figures come at the end."""
    print(text, file=sys.stderr, flush=True)


def figures(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


class Throttle:
    """One direction of a link: chunks leave one after another at `rate` bytes a second."""

    def __init__(self, rate: float):
        self.rate = rate
        self.lock = threading.Lock()
        self.free_at = time.monotonic()

    def wait_for(self, size: int) -> None:
        with self.lock:
            start = max(time.monotonic(), self.free_at)
            self.free_at = start + size / self.rate
            until = self.free_at
        time.sleep(max(0.0, until - time.monotonic()))


class ThrottlingProxy:
    """A TCP proxy to `port` whose link carries `rate` bytes a second each way, shared by every connection."""

    def __init__(self, port: int, rate: float):
        self.upstream = port
        self.down, self.up = Throttle(rate), Throttle(rate)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.bytes_down = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self.pump, args=(client, server, self.up, False), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, self.down, True), daemon=True).start()

    def pump(self, source, sink, throttle: Throttle, downstream: bool) -> None:
        try:
            while chunk := source.recv(4096):
                throttle.wait_for(len(chunk))
                if downstream:
                    self.bytes_down += len(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)


def new_phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    return context, context.new_page()


def open_kept_assessment(page, base: str) -> str:
    log_in(page, base, "assessor1")
    page.get_by_role("link", name=re.compile("上海市机电")).click()
    page.wait_for_url(re.compile(r"/items/"))
    expect(page.locator(".offline-status .offline-label")).to_have_text(KEPT_WHOLE, timeout=600_000)
    return page.url.rsplit("/items/", 1)[0]


def time_keep(browser, slow: SlowServer, app_port: int) -> tuple[float, float, int, int]:
    """Seconds from opening an assessment over the slow link to all its pages kept, and from the
    worker asking for its list of pages; pages, bytes down."""
    slow.first_list_at = None
    proxy = ThrottlingProxy(app_port, KEEP_LINK_BYTES_PER_SECOND)
    base = f"http://127.0.0.1:{proxy.port}"
    context, page = new_phone(browser)
    log_in(page, base, "assessor1")
    page.get_by_role("link", name=re.compile("上海市机电")).click()
    page.wait_for_url(re.compile(r"/items/"), wait_until="commit")
    started, bytes_before = time.perf_counter(), proxy.bytes_down
    label = page.locator(".offline-status .offline-label")
    expect(label).to_have_text(KEPT_WHOLE, timeout=900_000)
    ended = time.perf_counter()
    pages = int(KEPT_WHOLE.search(label.inner_text()).group(1))
    context.close()
    return ended - started, ended - slow.first_list_at, pages, proxy.bytes_down - bytes_before


def main() -> int:
    app = demo_app()
    slow = SlowServer(app.wsgi_app)
    app.wsgi_app = slow
    server, base = serve(app)
    bare, bare_base = serve(bare_pages)
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, page = timed_phone(browser, "a[rel=next]", "button")
        page.goto(f"{bare_base}/0")
        results["bare static page"] = walk(page, "a[rel=next]")
        context.close()
        say("bare pages walked; keeping the assessment")
        context, page = timed_phone(browser, NEXT, OUTCOME_BUTTONS)
        assessment = open_kept_assessment(page, base)
        for name, delay in DELAYS.items():
            say(f"server answering in {name}")
            page.goto(f"{assessment}/items/1.1.1")
            page.wait_for_selector(OUTCOME_BUTTONS)
            slow.delay = delay
            results[f"server answers in {name}"] = walk(page, NEXT)
            slow.delay = 0
        page.goto(f"{assessment}/items/1.1.1")
        page.wait_for_selector(OUTCOME_BUTTONS)
        context.set_offline(True)
        say("offline")
        results["offline"] = walk(page, NEXT)
        context.close()
        slow.ended.set()
        say("keeping over the throttled link")
        keep_seconds, list_seconds, kept_pages, keep_bytes = time_keep(browser, slow, server.server_port)
        browser.close()
    server.shutdown()
    bare.shutdown()

    print(f"下一项 on a kept assessment, {TAPS} taps each: tap -> next item shown, outcome buttons enabled")
    print(f"  {'link':28s} {'median':>9s} {'p90':>9s}")
    missed = []
    for name, times in results.items():
        median, p90 = figures(times)
        print(f"  {name:28s} {median:7.0f} ms {p90:7.0f} ms")
        if name != "bare static page" and (median > MEDIAN_GOAL_MS or p90 > P90_GOAL_MS):
            missed.append(name)
    bare_median = figures(results["bare static page"])[0]
    worst = max(figures(times)[0] for name, times in results.items() if name != "bare static page")
    print(f"  worst median {worst:.0f} ms = {worst / bare_median:.1f}x the bare page")
    print(f"  goal: median <= {MEDIAN_GOAL_MS} ms, p90 <= {P90_GOAL_MS} ms in every link state")
    kbit = KEEP_LINK_BYTES_PER_SECOND * 8 / 1000
    print(
        f"keeping {kept_pages} pages over {kbit:.0f} kbit/s: {keep_seconds:.1f} s from opening the assessment"
    )
    print(f"  ({list_seconds:.1f} s from the worker asking for the list), {keep_bytes:,d} B down")
    print(f"  (the bytes alone take {keep_bytes / KEEP_LINK_BYTES_PER_SECOND:.1f} s at that speed)")
    if missed:
        print(f"GOAL MISSED: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
