"""A throwaway app with demo data for the benchmark scripts."""

import logging
import tempfile

from tests.conftest import Auth, make_test_app


def demo_app():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # The request log line is still formatted and timed; only its printing to the terminal is dropped.
    logging.getLogger("app.requests").handlers = [logging.NullHandler()]
    app = make_test_app(tempfile.mkdtemp(prefix="bench-"))
    result = app.test_cli_runner().invoke(args=["demo"])
    if result.exit_code:
        raise SystemExit(f"demo data failed: {result.output}")
    return app


def logged_in(app, username="assessor1", password="demo2026") -> Auth:
    auth = Auth(app.test_client())
    auth.login(username, password)
    return auth
