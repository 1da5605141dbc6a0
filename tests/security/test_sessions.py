"""Sessions the server can end: a copied cookie dies with logout, a new password or deactivation."""

import pytest

from app.extensions import db
from app.models import AuditEvent, UserSession, utcnow
from tests.conftest import TEST_PASSWORD, Auth, csrf_token_from

NEW_PASSWORD = "a brand new secret"


def copied_cookie(app, client):
    """A second browser holding a copy of the first one's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def is_logged_in(client) -> bool:
    return client.get("/assess/").status_code == 200


@pytest.fixture
def admin(app, make_user):
    make_user("boss", role="admin")
    admin = Auth(app.test_client())
    admin.login("boss")
    admin.token = csrf_token_from(admin.client.get("/admin/users").get_data(as_text=True))
    return admin


def user_id(app, username):
    from app.models import User

    with app.app_context():
        return db.session.scalar(db.select(User.id).filter_by(username=username))


def test_copied_cookie_stops_working_after_logout(app, client, auth, make_user):
    make_user("assessor")
    auth.login("assessor")
    thief = copied_cookie(app, client)
    assert is_logged_in(thief)
    auth.token = csrf_token_from(client.get("/assess/").get_data(as_text=True))
    auth.logout()
    assert not is_logged_in(thief)


def test_cookie_names_a_session_not_the_user_id(app, client, auth, make_user):
    make_user("assessor")
    auth.login("assessor")
    with app.app_context():
        assert db.session.query(UserSession).count() == 1


def test_admin_password_reset_ends_every_session_of_the_user(app, client, auth, make_user, admin):
    make_user("assessor")
    auth.login("assessor")
    response = admin.client.post(
        f"/admin/users/{user_id(app, 'assessor')}/password",
        data={"csrf_token": admin.token, "password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(
    app, client, auth, make_user, admin
):
    make_user("assessor")
    auth.login("assessor")
    thief = copied_cookie(app, client)
    target = user_id(app, "assessor")
    admin.client.post(f"/admin/users/{target}/deactivate", data={"csrf_token": admin.token})
    admin.client.post(f"/admin/users/{target}/reactivate", data={"csrf_token": admin.token})
    assert not is_logged_in(client)
    assert not is_logged_in(thief)
    with app.app_context():
        assert db.session.query(UserSession).filter_by(user_id=target).count() == 0


def test_admin_ends_a_users_sessions_from_the_user_page(app, client, auth, make_user, admin):
    make_user("assessor")
    auth.login("assessor")
    target = user_id(app, "assessor")
    page = admin.client.get(f"/admin/users/{target}").get_data(as_text=True)
    assert f"/admin/users/{target}/sessions/end" in page
    response = admin.client.post(f"/admin/users/{target}/sessions/end", data={"csrf_token": admin.token})
    assert response.status_code == 302
    assert not is_logged_in(client)
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="user.sessions_end"))
        assert event.subject == "assessor" and event.after == {"ended": 1}


def test_a_session_idle_too_long_ends(app, client, auth, make_user):
    make_user("assessor")
    auth.login("assessor")
    with app.app_context():
        row = db.session.scalar(db.select(UserSession))
        row.last_seen_at = utcnow() - app.config["SESSION_IDLE_LIFETIME"]
        db.session.commit()
    assert not is_logged_in(client)


def test_a_session_in_use_still_ends_after_its_maximum_lifetime(app, client, auth, make_user):
    make_user("assessor")
    auth.login("assessor")
    with app.app_context():
        row = db.session.scalar(db.select(UserSession))
        row.created_at = utcnow() - app.config["SESSION_MAX_LIFETIME"]
        db.session.commit()
    assert not is_logged_in(client)


def test_session_cookie_lasts_hours_not_weeks(app, client, auth, make_user):
    make_user("assessor")
    response = auth.login("assessor")
    cookie = response.headers["Set-Cookie"]
    assert "session=" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 12 * 3600


def test_user_changes_own_password_and_other_devices_are_logged_out(app, client, auth, make_user):
    make_user("assessor")
    auth.login("assessor")
    other_device = Auth(app.test_client())
    other_device.login("assessor")
    page = client.get("/assess/").get_data(as_text=True)
    assert 'href="/password"' in page
    token = csrf_token_from(client.get("/password").get_data(as_text=True))
    response = client.post(
        "/password",
        data={
            "csrf_token": token,
            "current_password": TEST_PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert is_logged_in(client)
    assert not is_logged_in(other_device.client)
    assert Auth(app.test_client()).login("assessor", NEW_PASSWORD).status_code == 302
    assert Auth(app.test_client()).login("assessor", TEST_PASSWORD).status_code == 401


def test_own_password_change_needs_the_current_password(app, client, auth, make_user):
    make_user("assessor")
    auth.login("assessor")
    token = csrf_token_from(client.get("/password").get_data(as_text=True))
    response = client.post(
        "/password",
        data={
            "csrf_token": token,
            "current_password": "not it",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert "当前密码不正确" in response.get_data(as_text=True)
    assert Auth(app.test_client()).login("assessor", TEST_PASSWORD).status_code == 302


def test_the_request_log_names_the_user_never_the_session_token(app, client, auth, make_user, caplog):
    import logging

    make_user("assessor")
    auth.login("assessor")
    with app.app_context():
        stored_digest = db.session.scalar(db.select(UserSession.token_sha256))
    with caplog.at_level(logging.INFO, logger="app.requests"):
        client.get("/assess/")
    import hashlib

    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    token = serializer.loads(client.get_cookie("session").value)["_user_id"]
    assert hashlib.sha256(token.encode()).hexdigest() == stored_digest
    lines = [r.getMessage() for r in caplog.records if r.name == "app.requests"]
    assert lines and not any(token in line for line in lines)
