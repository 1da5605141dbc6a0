"""Password guessing is counted atomically, per username and per client, across gunicorn workers."""

import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.servers import HttpClient

PARALLEL_GUESSES = 30
PARALLEL_LOGINS, ROUNDS = 8, 6
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


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


def test_one_user_logging_in_on_several_phones_at_once_is_never_answered_500(gunicorn_server, make_user):
    """A right password clears the username's count while other logins are counting it."""
    make_user("assessor")
    server = gunicorn_server.start()
    for _round in range(ROUNDS):
        statuses = log_in_in_parallel(server, PARALLEL_LOGINS)
        assert all(status < 500 for status in statuses), statuses


def log_in_in_parallel(server, phones: int) -> list[int]:
    """One user on `phones` fresh browser sessions, all pressing 登录 at the same moment."""
    clients = [HttpClient(server.url) for _ in range(phones)]
    tokens = [csrf_token_from(client.request("GET", "/login")[2].decode()) for client in clients]
    start = threading.Barrier(phones)

    def log_in(client, token):
        fields = {"username": "assessor", "password": TEST_PASSWORD, "csrf_token": token}
        start.wait()
        return client.request("POST", "/login", urllib.parse.urlencode(fields).encode(), FORM)[0]

    with ThreadPoolExecutor(max_workers=phones) as pool:
        return list(pool.map(log_in, clients, tokens))
