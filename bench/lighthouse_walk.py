"""Lighthouse scores of the walk page at phone size, against Debian's Chromium.

    .venv/bin/python -m bench.lighthouse_walk

Runs `npx lighthouse` (set LIGHTHOUSE to a lighthouse binary to use an installed one).
"""

import json
import os
import shlex
import subprocess
import tempfile
import threading

from werkzeug.serving import make_server

from app.extensions import db
from app.models import Assessment
from bench._app import demo_app, logged_in

LIGHTHOUSE = os.environ.get("LIGHTHOUSE", "npx --yes lighthouse@13.5.0")
CATEGORIES = ("performance", "accessibility", "best-practices")


def session_cookie(app) -> str:
    auth = logged_in(app)
    return auth.client.get_cookie("session").value


def run_lighthouse(url: str, cookie: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "report.json")
        command = shlex.split(LIGHTHOUSE) + [
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking",
            f"--extra-headers={json.dumps({'Cookie': f'session={cookie}'})}",
            "--form-factor=mobile",
            "--screenEmulation.mobile",
            "--screenEmulation.width=390",
            "--screenEmulation.height=844",
            "--screenEmulation.deviceScaleFactor=3",
        ]
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        with open(report, encoding="utf-8") as handle:
            return json.load(handle)


def main() -> None:
    app = demo_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with app.app_context():
        assessment_id = db.session.scalar(db.select(Assessment.id).filter_by(status="in_progress"))
    path = f"/assess/{assessment_id}/items/4.1.1"
    url = f"http://127.0.0.1:{server.server_port}{path}"
    report = run_lighthouse(url, session_cookie(app))
    server.shutdown()
    print(f"Lighthouse {report['lighthouseVersion']} on {path} (mobile, 390x844)")
    for category in CATEGORIES:
        print(f"{category:<16} {round(report['categories'][category]['score'] * 100)}")
    failing = [
        a["title"]
        for a in report["audits"].values()
        if a.get("score") == 0 and a.get("scoreDisplayMode") == "binary"
    ]
    for title in failing:
        print(f"  failing audit: {title}")


if __name__ == "__main__":
    main()
