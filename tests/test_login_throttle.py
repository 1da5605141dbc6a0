"""Password guessing is counted atomically, per username and per client, across gunicorn workers."""

import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.servers import HttpClient

PARALLEL_GUESSES = 30


def guess_in_parallel(server, usernames: list[str]) -> list[int]:
    """Every guess from one browser session, released at once against the worker processes."""
    client = HttpClient(server.url)
    _status, _headers, page = client.request("GET", "/login")
    token = csrf_token_from(page.decode())
    start = threading.Barrier(len(usernames))

    def guess(username):
        form = urllib.parse.urlencode({"username": username, "password": "wrong guess", "csrf_token": token})
        start.wait()
        status, _headers, _body = client.request(
            "POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        return status

    with ThreadPoolExecutor(max_workers=len(usernames)) as pool:
        return list(pool.map(guess, usernames))


def test_parallel_guesses_are_checked_no_more_often_than_the_limit(app, gunicorn_server, make_user):
    make_user("assessor")
    statuses = guess_in_parallel(gunicorn_server.start(), ["assessor"] * PARALLEL_GUESSES)
    assert statuses.count(401) <= app.config["LOGIN_ATTEMPTS_PER_USERNAME"]
    assert statuses.count(401) + statuses.count(429) == PARALLEL_GUESSES


def test_one_client_guessing_many_usernames_is_slowed_down(app, gunicorn_server):
    usernames = [f"user{n}" for n in range(app.config["LOGIN_ATTEMPTS_PER_CLIENT"] + 5)]
    statuses = guess_in_parallel(gunicorn_server.start(), usernames)
    assert statuses.count(401) <= app.config["LOGIN_ATTEMPTS_PER_CLIENT"]
    assert statuses.count(429) >= 5


def test_unknown_username_costs_a_password_hash_check_too(auth, monkeypatch):
    from app.services import passwords

    checked = []
    real_check = passwords.check_password_hash
    monkeypatch.setattr(passwords, "check_password_hash", lambda *a: checked.append(a) or real_check(*a))
    assert auth.login("nobody", TEST_PASSWORD).status_code == 401
    assert len(checked) == 1
