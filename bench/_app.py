"""A throwaway app with demo data for the benchmark scripts."""

import logging
import tempfile

from tests.conftest import Auth, make_test_app


def demo_app():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = make_test_app(tempfile.mkdtemp(prefix="bench-"))
    result = app.test_cli_runner().invoke(args=["demo"])
    if result.exit_code:
        raise SystemExit(f"demo data failed: {result.output}")
    return app


def logged_in(app, username="assessor1", password="demo2026") -> Auth:
    auth = Auth(app.test_client())
    auth.login(username, password)
    return auth
