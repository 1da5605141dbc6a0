"""What a phone downloads to open one item of the walk, measured in headless Chromium.

.venv/bin/python -m bench.walk_page_size
"""

import gzip
import threading

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.extensions import db
from app.models import IN_PROGRESS, Assessment
from bench._app import demo_app
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, log_in


def assessment_in_progress(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Assessment.id).filter_by(status=IN_PROGRESS))


def main() -> None:
    app = demo_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE).new_page()
        log_in(page, base, "assessor1")
        page.goto(f"{base}/assess/{assessment_in_progress(app)}/", wait_until="networkidle")
        walk_url = page.url
        responses = []
        page.on("response", lambda response: responses.append(response))
        page.goto(walk_url, wait_until="networkidle")
        rows = [(r.url.replace(base, ""), r.body()) for r in responses if r.status == 200]
        browser.close()
    server.shutdown()
    print(f"walk page {walk_url.replace(base, '')}")
    print(f"{'resource':<44} {'bytes':>8} {'gzip':>8}")
    total = total_gzip = 0
    for url, body in rows:
        packed = len(gzip.compress(body, 6))
        total += len(body)
        total_gzip += packed
        print(f"{url[:44]:<44} {len(body):>8} {packed:>8}")
    print(f"{'total':<44} {total:>8} {total_gzip:>8}")


if __name__ == "__main__":
    main()
