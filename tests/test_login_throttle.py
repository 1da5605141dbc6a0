"""Password guessing is counted atomically, per username and per client, against a threaded server."""

import http.client
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests.conftest import TEST_PASSWORD, make_test_app

PARALLEL_GUESSES = 30


@pytest.fixture
def threaded_server(tmp_path):
    app = make_test_app(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    yield server
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def login_form(port: int) -> tuple[str, str]:
    """A session cookie and the CSRF token that goes with it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    connection.close()
    return cookie, token


def post_login(port: int, cookie: str, token: str, username: str, password: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = urlencode({"username": username, "password": password, "csrf_token": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection.request("POST", "/login", body=body, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def guess_in_parallel(server, usernames: list[str]) -> list[int]:
    cookie, token = login_form(server.server_port)
    start = threading.Barrier(len(usernames))

    def guess(username):
        start.wait()
        return post_login(server.server_port, cookie, token, username, "wrong guess")

    with ThreadPoolExecutor(max_workers=len(usernames)) as pool:
        return list(pool.map(guess, usernames))


def test_parallel_guesses_are_checked_no_more_often_than_the_limit(threaded_server, make_user_in):
    make_user_in(threaded_server.app, "assessor")
    statuses = guess_in_parallel(threaded_server, ["assessor"] * PARALLEL_GUESSES)
    limit = threaded_server.app.config["LOGIN_ATTEMPTS_PER_USERNAME"]
    assert statuses.count(401) <= limit
    assert statuses.count(401) + statuses.count(429) == PARALLEL_GUESSES


def test_one_client_guessing_many_usernames_is_slowed_down(threaded_server):
    app = threaded_server.app
    usernames = [f"user{n}" for n in range(app.config["LOGIN_ATTEMPTS_PER_CLIENT"] + 5)]
    statuses = guess_in_parallel(threaded_server, usernames)
    assert statuses.count(401) <= app.config["LOGIN_ATTEMPTS_PER_CLIENT"]
    assert statuses.count(429) >= 5


def test_unknown_username_costs_a_password_hash_check_too(app, client, auth, make_user, monkeypatch):
    from app.services import passwords

    checked = []
    real_check = passwords.check_password_hash
    monkeypatch.setattr(passwords, "check_password_hash", lambda *a: checked.append(a) or real_check(*a))
    assert auth.login("nobody", TEST_PASSWORD).status_code == 401
    assert len(checked) == 1


@pytest.fixture
def make_user_in():
    from app.models import User

    def make(app, username):
        with app.app_context():
            user = User(username=username, role="assessor")
            user.set_password(TEST_PASSWORD)
            db.session.add(user)
            db.session.commit()

    return make
