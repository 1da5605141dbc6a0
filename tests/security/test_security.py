import pytest

from app.extensions import db
from app.models import AppendOnlyError, AuditEvent


@pytest.mark.parametrize("path", ["/login", "/api/rubric", "/no-such-page"])
def test_every_response_carries_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(client):
    page = client.get("/login").get_data(as_text=True)
    assert "<script>" not in page
    assert "onclick=" not in page


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, make_user):
    make_user("assessor")
    response = auth.login("assessor")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client, make_user):
    make_user("assessor")
    response = client.get("/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_every_page_carries_the_csrf_meta_tag(client):
    assert '<meta name="csrf-token" content="' in client.get("/login").get_data(as_text=True)


def test_unknown_page_is_a_friendly_404_without_stack_trace(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert "返回首页" in body


def test_unexpected_error_shows_a_page_without_details(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)


def test_audit_trail_cannot_be_changed_or_deleted(app):
    with app.app_context():
        event = AuditEvent(action="test", subject="x")
        db.session.add(event)
        db.session.commit()
        event.subject = "changed"
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, event.id))
        with pytest.raises(AppendOnlyError):
            db.session.commit()
