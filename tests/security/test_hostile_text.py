"""A NUL character or half a surrogate pair, anywhere in a request, gets one clear 400.

PostgreSQL cannot store a NUL in text and no database can store a lone surrogate: before the
request reached a route, each of them was a 500 somewhere (33 routes on PostgreSQL, anonymous
ones included). Run with TEST_DATABASE=postgresql too.
"""

import io

import pytest

from app.extensions import db
from app.models import Station
from tests.conftest import Auth
from tests.report_fixtures import demo_data, log_in  # noqa: F401
from tests.security.test_hostile_input import form_routes

REFUSAL_ZH = "无法保存的字符"
BAD = {"nul": "\x00", "surrogate": "\ud800"}


def refused(response) -> bool:
    if response.status_code != 400:
        return False
    if response.mimetype == "application/json":
        return response.get_json().get("code") == "unstorable_text"
    return REFUSAL_ZH in response.get_data(as_text=True)


def get_urls(app, demo) -> list[str]:
    """Every GET route, its arguments filled with real ids (and text arguments with a NUL)."""
    values = {
        "assessment_id": demo.finalized,
        "station_id": demo.bj001,
        "user_id": 1,
        "region_id": 1,
        "plan_id": 1,
        "version_id": 1,
        "photo_id": demo.photo,
        "item_id": "1.1.1\x00",
        "token": "abc\x00",
        "code": "ABCD\x00",
        "filename": "css/app.css\x00",
    }
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            urls.append(adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments}))
    return urls


@pytest.fixture
def admin_client(app, demo):
    admin = Auth(app.test_client())
    log_in(admin, "admin")
    return admin


def test_a_nul_in_the_path_or_query_of_every_get_route_is_refused(app, demo, admin_client):
    failures = []
    for url in get_urls(app, demo):
        for client in (app.test_client(), admin_client.client):
            sent = [{"query_string": {"q": "a\x00"}}, {"query_string": {"a\x00": "1"}}]
            if "%00" in url:
                sent.append({})
            for options in sent:
                response = client.get(url, **options)
                if not refused(response):
                    failures.append((url, options, response.status_code))
    assert failures == []


def test_a_nul_in_any_form_field_of_every_form_route_is_refused(app, demo):
    """(A form cannot carry a lone surrogate: bytes that are not UTF-8 are read as U+FFFD.)"""
    bad = "\x00"
    failures = []
    for username, url in form_routes(app, demo):
        auth = Auth(app.test_client())
        if username:
            log_in(auth, username)
        else:
            auth.fetch_token()
        data = {"csrf_token": auth.token, "username": "admin" + bad, "password": "x", "name": "站" + bad}
        response = auth.client.post(url, data=data)
        if not refused(response):
            failures.append((url, response.status_code))
    assert failures == []


def test_an_anonymous_login_with_a_nul_in_the_username_is_refused(client, auth, demo):
    auth.fetch_token()
    response = client.post(
        "/login", data={"username": "admin\x00", "password": "x", "csrf_token": auth.token}
    )
    assert refused(response)


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(
    "method, path, body",
    [
        ("put", "/api/assessments/{going}/findings/1.1.1", {"outcome": "full", "note": "好{bad}"}),
        ("put", "/api/assessments/{going}/findings/1.1.1", {"outcome": "full{bad}"}),
        ("post", "/api/assessments", {"station_id": 1, "x{bad}": 1}),
        ("post", "/api/assessments/{going}/findings", {"findings": [{"item_id": "1.1.1", "note": "{bad}"}]}),
        ("patch", "/api/photos/{photo}", {"caption": "说明{bad}"}),
    ],
)
def test_a_bad_character_in_a_json_string_is_refused(app, demo, method, path, body, bad):
    auth = Auth(app.test_client())
    log_in(auth, "assessor1")
    filled = {
        k.replace("{bad}", bad): v.replace("{bad}", bad) if isinstance(v, str) else v for k, v in body.items()
    }
    if "findings" in body:
        filled = {"findings": [{"item_id": "1.1.1", "outcome": "full", "note": bad}]}
    url = path.format(going=demo.in_progress, photo=demo.photo)
    response = getattr(auth.client, method)(url, json=filled, headers=auth.headers())
    assert refused(response), (response.status_code, response.get_data(as_text=True)[:200])


def test_a_nul_in_an_uploaded_file_name_is_refused(app, demo):
    auth = Auth(app.test_client())
    log_in(auth, "assessor1")
    response = auth.client.post(
        f"/api/assessments/{demo.in_progress}/findings/1.1.1/photos",
        data={"photo": (io.BytesIO(b"x"), "p\x00.jpg")},
        headers=auth.headers(),
        content_type="multipart/form-data",
    )
    assert refused(response)


def test_a_csv_with_a_nul_after_its_first_4_kb_is_refused_with_a_clear_message(app, demo):
    auth = Auth(app.test_client())
    log_in(auth, "admin")
    rows = "code,name\n" + "".join(f"N{n:04d},站{n}\n" for n in range(400)) + "N9999,坏\x00站\n"
    assert rows.index("\x00") > 4096
    response = auth.client.post(
        "/admin/stations/import",
        data={"csrf_token": auth.token, "file": (io.BytesIO(rows.encode()), "stations.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "不是 CSV 文本文件" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Station).filter_by(code="N0001")) is None
