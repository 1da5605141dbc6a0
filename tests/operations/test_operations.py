"""Running the app: the load balancer's health check and the request log."""

import logging
import re
import shutil
from pathlib import Path

from app import create_app
from tests.conftest import TestConfig


def test_health_check_answers_ok_without_login_or_data(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_check_is_503_when_the_upload_folder_cannot_take_a_file(app, client):
    folder = app.config["UPLOAD_DIR"]
    shutil.rmtree(folder)
    with open(folder, "w") as blocker:
        blocker.write("a file where the folder should be")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": ["uploads"]}


def test_health_check_is_503_when_the_database_cannot_be_reached(tmp_path):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no-such-folder/db.sqlite",
        UPLOAD_DIR=str(tmp_path / "uploads"),
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["database"]


def test_every_request_logs_one_line_with_its_id_user_and_duration(client, auth, make_user, caplog):
    user_id = make_user("assessor")
    auth.login("assessor")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="app.requests"):
        response = client.get("/assess/")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    lines = [r.getMessage() for r in caplog.records if r.name == "app.requests"]
    assert len(lines) == 1
    assert re.fullmatch(
        rf"request_id={request_id} method=GET path=/assess/ status=200 user={user_id} ms=\d+\.\d", lines[0]
    )


def test_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client):
    assert (
        client.get("/login", headers={"X-Request-ID": "lb-1234abcd"}).headers["X-Request-ID"] == "lb-1234abcd"
    )
    replaced = client.get("/login", headers={"X-Request-ID": "bad id; with spaces"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_anonymous_request_and_refused_request_are_logged_too(client, caplog):
    with caplog.at_level(logging.INFO, logger="app.requests"):
        client.get("/assess/")
        client.get("/no-such-page")
    lines = [r.getMessage() for r in caplog.records if r.name == "app.requests"]
    assert [re.search(r"status=(\d+) user=(\S+)", line).groups() for line in lines] == [
        ("302", "-"),
        ("404", "-"),
    ]


def test_health_check_is_503_when_the_upload_disk_is_nearly_full(app, client, monkeypatch):
    from app.web import operations

    folder = app.config["UPLOAD_DIR"]
    real = shutil.disk_usage

    def nearly_full(path):
        usage = real(path)
        return usage._replace(free=10 * 1024 * 1024) if str(path) == str(folder) else usage

    monkeypatch.setattr(operations.shutil, "disk_usage", nearly_full)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert "upload_disk" in response.get_json()["failed"]


def test_health_check_is_503_when_the_sqlite_disk_is_nearly_full(app, client, monkeypatch):
    from app.web import operations

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        database_folder = None
    else:
        database_folder = str(Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent)
    real = shutil.disk_usage

    def nearly_full(path):
        usage = real(path)
        return usage._replace(free=0) if str(path) == database_folder else usage

    monkeypatch.setattr(operations.shutil, "disk_usage", nearly_full)
    response = client.get("/healthz")

    if database_folder is None:
        assert response.status_code == 200, "a server database watches its own disk"
    else:
        assert response.status_code == 503
        assert response.get_json()["failed"] == ["database_disk"]
