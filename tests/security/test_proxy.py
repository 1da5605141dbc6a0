"""Behind the HTTPS proxy, each client is known by the address the proxy forwards, not the proxy's."""

import pytest

from app.extensions import db
from tests.conftest import csrf_token_from, make_test_app

PROXY = "10.0.0.2"
LIMIT = 3


@pytest.fixture
def app_behind(tmp_path):
    """An app with the per-client login limit at LIMIT, trusting as many proxies as asked."""
    apps = []

    def make(proxies: int):
        app = make_test_app(tmp_path, PROXY_FIX_X_FOR=proxies, LOGIN_ATTEMPTS_PER_CLIENT=LIMIT)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def wrong_guesses(app, client_address: str, count: int) -> list[int]:
    """`count` wrong logins, each for another username, from one client behind the proxy."""
    client = app.test_client()
    headers = {"X-Forwarded-For": client_address}
    environ = {"REMOTE_ADDR": PROXY}
    page = client.get("/login", headers=headers, environ_base=environ).get_data(as_text=True)
    token = csrf_token_from(page)
    return [
        client.post(
            "/login",
            data={"username": f"user{n}", "password": "wrong guess", "csrf_token": token},
            headers=headers,
            environ_base=environ,
        ).status_code
        for n in range(count)
    ]


def test_two_clients_behind_the_proxy_are_limited_separately(app_behind):
    app = app_behind(proxies=1)
    assert wrong_guesses(app, "203.0.113.7", LIMIT + 1) == [401] * LIMIT + [429]
    assert wrong_guesses(app, "198.51.100.9", 1) == [401]


def test_without_the_setting_a_forwarded_address_is_not_believed(app_behind):
    app = app_behind(proxies=0)
    wrong_guesses(app, "203.0.113.7", LIMIT)
    assert wrong_guesses(app, "198.51.100.9", 1) == [429]
