"""A CSRF token read before a login or a logout is worth nothing afterwards (one shared phone)."""

from tests.conftest import TEST_PASSWORD, Auth, csrf_token_from


def page_token(client, url="/login") -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def change_language(client, token):
    return client.post("/language", data={"csrf_token": token, "language": "en"})


def test_the_token_read_before_login_is_refused_after_it(client, make_user):
    make_user("wang")
    before = page_token(client)
    response = client.post(
        "/login", data={"username": "wang", "password": TEST_PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    assert change_language(client, before).status_code == 400
    after = page_token(client, "/assess/")
    assert after != before
    assert change_language(client, after).status_code == 302


def test_the_token_of_one_users_session_is_refused_in_the_next_users(client, make_user):
    make_user("wang")
    make_user("li")
    first = Auth(client)
    first.login("wang")
    token_of_wang = page_token(client, "/assess/")
    assert client.post("/logout", data={"csrf_token": token_of_wang}).status_code == 302
    assert change_language(client, token_of_wang).status_code == 400
    second = Auth(client)
    assert second.login("li").status_code == 302
    assert client.post("/logout", data={"csrf_token": token_of_wang}).status_code == 400
    assert change_language(client, token_of_wang).status_code == 400
