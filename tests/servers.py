"""The app served on 127.0.0.1 for tests that need a real server, on the session's database.

- `live_server`: the app in a thread of the test process (werkzeug), for browser journeys.
- `gunicorn_server`: the production shape (README: gunicorn, 3 sync workers) in its own
  processes on the `app` fixture's database, for tests that send truly parallel requests.
  Start it with `gunicorn_server.start()` once the test has put its data in.
- `demo_data`: the `demo` command's stations, people and assessments in the live server.

`HttpClient` is a small cookie-keeping client for such servers: log in through the real form,
then call the JSON API with the page's CSRF token, from as many threads as the test needs.
"""

import http.cookiejar
import json
import os
import runpy
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests.conftest import TEST_PASSWORD, TestConfig, csrf_token_from, make_test_app

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_WORKERS = 3
READY_TIMEOUT = 120


@pytest.fixture
def live_server(tmp_path):
    """The app on a free port with its own database, served from a thread for one test."""
    app = make_test_app(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def demo_data(live_server):
    result = live_server.app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return live_server


class GunicornServer:
    """`gunicorn --workers 3 wsgi:app` on the test's database and upload folder."""

    def __init__(self, app, log_path: Path):
        self.app = app
        self.log_path = log_path
        self.process = None
        self.url = None

    def environment(self) -> dict:
        return {
            **os.environ,
            "DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
            "UPLOAD_DIR": self.app.config["UPLOAD_DIR"],
            "SECRET_KEY": TestConfig.SECRET_KEY,
            "PYTHONPATH": str(ROOT),
        }

    def start(self, workers: int | None = GUNICORN_WORKERS) -> "GunicornServer":
        """Start the workers and wait until every one of them can answer; `workers=None` runs as
        many as gunicorn.conf.py configures for the database, as production does."""
        with self.app.app_context():
            db.engine.dispose()
        settings = ROOT / "tests" / "gunicorn_test_config.py"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - kept open while the server runs
        port_file = self.log_path.with_suffix(".port")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *(["--workers", str(workers)] if workers is not None else []),
                "--config",
                str(settings),
                "--graceful-timeout",
                "5",
                "--no-control-socket",
                "wsgi:app",
            ],
            cwd=ROOT,
            env={**self.environment(), "PORT_FILE": str(port_file)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self._wait_for_port(port_file)}"
        self._wait_until_ready(workers or self.configured_workers())
        return self

    def configured_workers(self) -> int:
        """How many workers gunicorn.conf.py starts for this server's database."""
        settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        forced = os.environ.get("GUNICORN_WORKERS")
        return (
            int(forced) if forced else settings["default_workers"](self.app.config["SQLALCHEMY_DATABASE_URI"])
        )

    def _wait_for_port(self, port_file: Path) -> int:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self._fail_if_exited()
            if port_file.exists() and port_file.read_text().strip():
                return int(port_file.read_text())
            time.sleep(0.05)
        pytest.fail(f"gunicorn did not bind a port: {self.output()}")

    def _wait_until_ready(self, workers: int) -> None:
        """Every worker has booted (logged it) and the server answers a page."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self._fail_if_exited()
            booted = self.output().count("Booting worker")
            if booted >= workers and self._answers():
                return
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not become ready: {self.output()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/login", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def _fail_if_exited(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {self.process.returncode}: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


@pytest.fixture
def gunicorn_server(app, tmp_path):
    """A multi-worker gunicorn (not yet started) on the `app` fixture's database; see GunicornServer.

    Put the test's data in through `app` (or the fixtures built on it: make_user, station_id, …),
    then `gunicorn_server.start()`.
    """
    server = GunicornServer(app, tmp_path / "gunicorn.log")
    yield server
    server.stop()


class HttpClient:
    """One user's browser session against a server on 127.0.0.1: cookies, CSRF token, JSON calls."""

    def __init__(self, base_url: str, timeout: float = 60):
        self.base_url = base_url
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, headers, body bytes); HTTP errors are answers too, never exceptions."""
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def log_in(self, username: str, password: str = TEST_PASSWORD) -> "HttpClient":
        _status, _headers, page = self.request("GET", "/login")
        token = csrf_token_from(page.decode())
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
        status, _headers, _body = self.request(
            "POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status in (200, 302), f"login as {username} answered {status}"
        _status, _headers, page = self.request("GET", "/")
        self.token = csrf_token_from(page.decode())
        return self

    def json(self, method: str, path: str, payload=None):
        """(status, parsed JSON or None) for an API call with the session's CSRF token."""
        body = json.dumps(payload if payload is not None else {}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": self.token,
            "Accept": "application/json",
        }
        status, _headers, raw = self.request(method, path, body, headers)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, None


def mutation_id() -> str:
    return str(uuid.uuid4())


def simultaneously(*calls, timeout: float = 300):
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    return results
