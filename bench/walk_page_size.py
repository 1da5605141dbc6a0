"""What a phone downloads to open one item of the walk, measured in headless Chromium.

First visit: every response with its headers and its body as sent (compressed where the server
compressed it), and its body as the page reads it. Repeat visit, with the service worker
blocked: how many requests for static files still reach the server (hashed names are cached as
immutable, so none should).

.venv/bin/python -m bench.walk_page_size
"""

import sys
import threading

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.extensions import db
from app.models import IN_PROGRESS, Assessment
from bench._app import demo_app
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, log_in

# The goals: a walk page's first visit carries at most this much over a weak link, and a repeat
# visit asks for no static file at all.
GOAL_BYTES = 45_000
GOAL_REPEAT_REQUESTS = 0


def assessment_in_progress(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Assessment.id).filter_by(status=IN_PROGRESS))


def wire_sizes(sizes: dict) -> tuple[int, int]:
    """The response's headers and body as they came over the connection."""
    return sizes["responseHeadersSize"], sizes["responseBodySize"]


def counting_requests(wsgi_app, paths: list):
    def app(environ, start_response):
        paths.append(environ["PATH_INFO"])
        return wsgi_app(environ, start_response)

    return app


def main() -> int:
    app = demo_app()
    served = []
    app.wsgi_app = counting_requests(app.wsgi_app, served)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    walk_url = f"{base}/assess/{assessment_in_progress(app)}/items/4.1.1"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE, service_workers="block").new_page()
        log_in(page, base, "assessor1")
        page.context.new_cdp_session(page).send("Network.clearBrowserCache")
        responses = []
        page.on("response", lambda response: responses.append(response))
        page.goto(walk_url, wait_until="networkidle")
        rows = [
            (r.url.replace(base, ""), *wire_sizes(r.request.sizes()), len(r.body()))
            for r in responses
            if r.status == 200
        ]
        served.clear()
        page.goto(walk_url, wait_until="networkidle")
        repeat = [path for path in served if path.startswith("/static/")]
        browser.close()
    server.shutdown()
    print(f"walk page {walk_url.replace(base, '')}, first visit with an empty cache")
    print(f"{'resource':<52} {'headers':>8} {'body':>8} {'decoded':>8}")
    for url, headers, body, decoded in rows:
        print(f"{url[:52]:<52} {headers:>8} {body:>8} {decoded:>8}")
    headers, body, decoded = (sum(row[n] for row in rows) for n in (1, 2, 3))
    print(f"{'total':<52} {headers:>8} {body:>8} {decoded:>8}")
    wire = f"{(headers + body) / 1000:.1f} KB"
    print(f"on the wire: {wire} ({body / 1000:.1f} KB of bodies, {headers / 1000:.1f} KB of headers)")
    print(f"repeat visit without a service worker: {len(repeat)} requests for static files {repeat}")
    missed = headers + body > GOAL_BYTES or len(repeat) > GOAL_REPEAT_REQUESTS
    verdict = "MISSED" if missed else "met"
    print(f"goal ≤ {GOAL_BYTES / 1000:.0f} KB and {GOAL_REPEAT_REQUESTS} repeat requests: {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
