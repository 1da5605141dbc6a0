"""Bytes a phone sends for one 12-megapixel photo, with and without the shrink in photos/shrink.js.

Runs the real item page in headless Chromium: the photo goes through `downscale` from photos/shrink.js
(the function the camera button uses) and both versions are posted to the upload API; the request
bodies are counted as they reach the server.

    .venv/bin/python -m bench.photo_upload_size
"""

import base64
import threading

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app.config import Config
from app.extensions import db
from app.models import Assessment
from bench._app import demo_app
from bench._camera import camera_jpeg
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, log_in

WEAK_UPLINK_BITS_PER_SECOND = 1_000_000

SEND_BOTH = """async ([encoded, url, maxEdge]) => {
    const { downscale } = await import("/static/js/photos/shrink.js");
    const { csrfToken } = await import("/static/js/lib/common.js");
    const send = async (photo, caption) => {
        const form = new FormData();
        form.append("photo", photo, "photo.jpg");
        form.append("caption", caption);
        const headers = {"X-CSRFToken": csrfToken()};
        return (await fetch(url, {method: "POST", body: form, headers})).status;
    };
    const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    const file = new File([bytes], "camera.jpg", {type: "image/jpeg"});
    const started = performance.now();
    const shrunk = await downscale(file, maxEdge);
    const shrinkMs = performance.now() - started;
    const bitmap = await createImageBitmap(shrunk);
    const whole = await send(file, "whole");
    const small = await send(shrunk, "shrunk");
    return {fileBytes: file.size, shrunkBytes: shrunk.size, shrinkMs, width: bitmap.width,
            height: bitmap.height, statuses: [whole, small]};
}"""


def counting_uploads(wsgi_app, bodies: list):
    """Record the Content-Length of each photo upload as it reaches the server."""

    def middleware(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/photos"):
            bodies.append(int(environ.get("CONTENT_LENGTH") or 0))
        return wsgi_app(environ, start_response)

    return middleware


def main() -> None:
    app = demo_app()
    with app.app_context():
        assessment_id = db.session.scalar(db.select(Assessment.id).filter_by(status="in_progress"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    photo = camera_jpeg((4000, 3000))
    bodies = []
    app.wsgi_app = counting_uploads(app.wsgi_app, bodies)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE).new_page()
        log_in(page, base, "assessor1")
        page.goto(f"{base}/assess/{assessment_id}/items/5.3.1")
        page.wait_for_load_state("load")
        upload_url = f"/api/assessments/{assessment_id}/findings/5.3.1/photos"
        result = page.evaluate(
            SEND_BOTH, [base64.b64encode(photo).decode(), upload_url, Config.PHOTO_MAX_EDGE]
        )
        browser.close()
    server.shutdown()

    whole, shrunk = bodies
    print("photo: 4000x3000 JPEG (12 megapixels), camera-like, quality 92")
    print(f"  file on the phone           {result['fileBytes']:>10,} bytes")
    size = f"{result['width']}x{result['height']}"
    print(f"  after downscale (photos/shrink.js) {result['shrunkBytes']:>10,} bytes  ({size})")
    print(f"  shrink time in Chromium     {result['shrinkMs']:>10.0f} ms")
    print(f"  request body, no shrink     {whole:>10,} bytes")
    print(f"  request body, shrunk        {shrunk:>10,} bytes")
    print(f"  sent with the shrink        {shrunk / whole:>10.1%} of the bytes ({whole / shrunk:.1f}x fewer)")
    rate = WEAK_UPLINK_BITS_PER_SECOND / 8
    print(f"  at 1 Mbit/s uplink          {whole / rate:>9.1f} s -> {shrunk / rate:.1f} s")
    print(f"  server answers              {result['statuses']}")


if __name__ == "__main__":
    main()
