"""Short, common, all-space and username-like passwords are refused everywhere one is chosen."""

import pytest

from tests.conftest import TEST_PASSWORD, Auth, csrf_token_from

WEAK = [
    ("password", "此密码过于常见"),
    ("12345678", "此密码过于常见"),
    (" " * 8, "密码不能只有空格"),
    ("short", "密码至少需要 8 个字符"),
]


@pytest.fixture
def admin(app, make_user):
    make_user("boss", role="admin")
    admin = Auth(app.test_client())
    admin.login("boss")
    admin.token = csrf_token_from(admin.client.get("/admin/users").get_data(as_text=True))
    return admin


@pytest.mark.parametrize("password, message", [*WEAK, ("newcomer", "密码不能是用户名")])
def test_admin_cannot_create_a_user_with_a_weak_password(admin, password, message):
    response = admin.client.post(
        "/admin/users/new",
        data={"csrf_token": admin.token, "username": "newcomer", "role": "assessor", "password": password},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("password, message", [*WEAK, ("Assessor2026", "密码不能是用户名")])
def test_user_cannot_change_to_a_weak_password(client, auth, make_user, password, message):
    make_user("assessor")
    auth.login("assessor")
    token = csrf_token_from(client.get("/password").get_data(as_text=True))
    response = client.post(
        "/password",
        data={
            "csrf_token": token,
            "current_password": TEST_PASSWORD,
            "password": password,
            "confirm": password,
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
