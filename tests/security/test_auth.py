from app.extensions import db
from app.models import LoginAttempt, utcnow
from app.services.login_throttle import username_key
from tests.conftest import TEST_PASSWORD, csrf_token_from


def test_login_page_speaks_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "登录" in page


def test_language_switch_to_english_is_remembered(client, auth):
    token = auth.fetch_token()
    response = client.post("/language", data={"language": "en", "next": "/login", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page


def test_language_switch_ignores_unknown_language_and_foreign_next(client, auth):
    token = auth.fetch_token()
    response = client.post(
        "/language", data={"language": "fr", "next": "https://evil.example/", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_assessor_logs_in_and_lands_on_assessment_home(client, auth, make_user):
    make_user("assessor")
    response = auth.login("assessor")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/assess/"
    assert client.get("/assess/").status_code == 200


def test_staff_lands_on_own_station_page(client, auth, make_user, make_station):
    station_id = make_station("S9", "第九鉴定站")
    make_user("staff", role="staff", station_id=station_id)
    auth.login("staff")
    assert client.get("/").headers["Location"] == "/station/"
    assert "第九鉴定站" in client.get("/station/").get_data(as_text=True)


def test_wrong_password_is_refused_with_a_clear_message(client, auth, make_user):
    make_user("assessor")
    response = auth.login("assessor", "wrong password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/assess/").status_code == 302


def test_deactivated_user_cannot_log_in(client, auth, make_user):
    make_user("gone", active=False)
    assert auth.login("gone").status_code == 401


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("assessor")
    response = client.post("/login", data={"username": "assessor", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert client.get("/assess/").status_code == 302


def test_empty_login_form_shows_field_errors(client, auth):
    token = auth.fetch_token()
    response = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_repeated_failed_logins_are_slowed_down(app, client, auth, make_user):
    make_user("assessor")
    for _ in range(app.config["LOGIN_ATTEMPTS_PER_USERNAME"]):
        assert auth.login("assessor", "guess").status_code == 401
    response = auth.login("assessor", TEST_PASSWORD)
    assert response.status_code == 429
    assert "秒后再试" in response.get_data(as_text=True)


def test_login_works_again_after_the_delay(app, client, auth, make_user):
    make_user("assessor")
    for _ in range(app.config["LOGIN_ATTEMPTS_PER_USERNAME"]):
        auth.login("assessor", "guess")
    assert auth.login("assessor").status_code == 429
    with app.app_context():
        attempts = db.session.get(LoginAttempt, username_key("assessor"))
        attempts.window_start = utcnow() - app.config["LOGIN_WINDOW"]
        db.session.commit()
    assert auth.login("assessor").status_code == 302


def test_next_parameter_returns_to_the_requested_page(client, make_user):
    make_user("assessor")
    response = client.get("/assess/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    token = csrf_token_from(client.get(response.headers["Location"]).get_data(as_text=True))
    response = client.post(
        "/login?next=/assess/", data={"username": "assessor", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/assess/"


def test_next_parameter_never_leaves_the_site(client, make_user):
    make_user("assessor")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example/",
        data={"username": "assessor", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client, auth, make_user):
    make_user("assessor")
    auth.login("assessor")
    assert auth.logout().status_code == 302
    assert client.get("/assess/").status_code == 302


def test_staff_cannot_open_assessor_pages(client, auth, make_user, make_station):
    make_user("staff", role="staff", station_id=make_station())
    auth.login("staff")
    assert client.get("/assess/").status_code == 403


def test_assessor_cannot_open_station_staff_page(client, auth, make_user):
    make_user("assessor")
    auth.login("assessor")
    assert client.get("/station/").status_code == 403
