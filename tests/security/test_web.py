"""The request rules every blueprint shares: where `next` may lead, JSON bodies, htmx answers."""

import re

import pytest

from tests.report_fixtures import demo_data, log_in  # noqa: F401

# A tab inside the URL: browsers drop it, so "/\t/evil.example/" is the foreign "//evil.example/".
HOSTILE_NEXTS = [
    "/%09/evil.example/",
    "/%0a/evil.example/",
    "/%0d%0a/evil.example/",
    "//evil.example/",
    "/%5Cevil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "%09//evil.example/",
]


def leaves_the_site(response) -> bool:
    return "evil.example" in response.headers.get("Location", "") or "alert(" in response.headers.get(
        "Location", ""
    )


def form_posts(demo, auth, app):
    """The plain form posts that redirect to `next`, as (url, data) for one logged-in assessor."""
    from app.extensions import db
    from app.models import Rectification

    with app.app_context():
        rectification_id = db.session.scalar(db.select(Rectification.id))
    in_progress, token = demo.in_progress, auth.token
    return [
        (
            f"/photos/assessments/{in_progress}/items/1.1.1/no-photo-reason",
            {"csrf_token": token, "no_photo_reason": "现场无法拍照"},
        ),
        (f"/photos/assessments/{in_progress}/items/1.1.1", {"csrf_token": token}),
        (
            f"/station/rectifications/{rectification_id}/review",
            {"csrf_token": token, "decision": "accepted", "comment": ""},
        ),
    ]


@pytest.mark.parametrize("hostile", HOSTILE_NEXTS)
def test_form_posts_never_redirect_off_the_site(app, client, auth, demo, hostile):
    log_in(auth, "assessor1")
    for url, data in form_posts(demo, auth, app):
        response = client.post(f"{url}?next={hostile}", data=data)
        assert response.status_code in (302, 303), (url, response.status_code)
        assert not leaves_the_site(response), (url, response.headers["Location"])
        assert response.headers["Location"].startswith("/")


@pytest.mark.parametrize("hostile", HOSTILE_NEXTS)
def test_photo_page_back_link_stays_on_the_site(client, auth, demo, hostile):
    log_in(auth, "assessor1")
    page = client.get(f"/photos/{demo.photo}?next={hostile}")
    assert page.status_code == 200
    back = re.search(r'<p class="crumbs"><a href="([^"]*)"', page.get_data(as_text=True)).group(1)
    assert back.startswith("/") and "evil.example" not in back


@pytest.mark.parametrize("hostile", HOSTILE_NEXTS)
def test_login_never_redirects_off_the_site(client, auth, make_user, hostile):
    make_user("assessor")
    token = auth.fetch_token()
    response = client.post(
        f"/login?next={hostile}",
        data={"username": "assessor", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 302
    assert not leaves_the_site(response)


def test_a_path_on_the_site_is_followed(client, auth, demo):
    log_in(auth, "assessor1")
    target = f"/assess/{demo.in_progress}/summary"
    url, data = form_posts(demo, auth, client.application)[0]
    response = client.post(url, data={**data, "next": target})
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b'"text"', b"not json", b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50 + b"1" + b"}" * 50],
    ids=["list", "string", "not-json", "very-deep-list", "deep-object"],
)
def test_api_refuses_a_body_that_is_not_a_plain_json_object(assessor, station_id, body):
    response = assessor.client.post(
        "/api/assessments", data=body, content_type="application/json", headers=assessor.headers()
    )
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]


def test_finalize_refuses_a_deeply_nested_body(assessor, assessment_id):
    response = assessor.client.post(
        f"/api/assessments/{assessment_id}/finalize",
        data=b"[" * 100_000 + b"]" * 100_000,
        content_type="application/json",
        headers=assessor.headers(),
    )
    assert response.status_code == 400


def test_pages_that_answer_htmx_too_vary_on_it(assessor):
    for url in ("/assess/", "/assess/?q=GZ"):
        for headers in ({}, {"HX-Request": "true"}):
            response = assessor.client.get(url, headers=headers)
            assert response.status_code == 200
            assert "HX-Request" in response.headers.get("Vary", ""), (url, headers)


@pytest.mark.parametrize(
    "headers, kind",
    [
        ({"Accept": "application/json"}, "application/json"),
        ({"Accept": "application/json", "HX-Request": "true"}, "text/html"),
        (
            {"Accept": "application/json", "HX-Request": "true", "HX-History-Restore-Request": "true"},
            "text/html",
        ),
    ],
)
def test_an_error_answers_htmx_with_a_page_even_when_json_is_preferred(assessor, headers, kind):
    response = assessor.client.get("/assess/999999/summary", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == kind
