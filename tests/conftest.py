"""An app with a fresh database and upload folder per test, and helpers to log in and call the API."""

import re
import shutil

import pytest

from app import create_app
from app.config import Config
from app.extensions import db
from app.models import Station, User
from tests import ROOT, databases

pytest_plugins = ["tests.servers"]

TEST_PASSWORD = "correct horse battery"
User.password_method = "pbkdf2:sha256:1000"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    # A test's PDF is drawn when downloaded, and the download waits for it however busy the machine.
    REPORT_PDF_AHEAD = False
    REPORT_PDF_WAIT = 600


def make_test_app(folder, **overrides):
    """An app with a fresh database (tables created) and its own upload folder inside `folder`."""
    settings = {"UPLOAD_DIR": f"{folder}/uploads", "SIGNING_P12": f"{folder}/signing.p12", **overrides}
    if "SQLALCHEMY_DATABASE_URI" not in settings:
        settings["SQLALCHEMY_DATABASE_URI"] = databases.databases().create(folder)
    return create_app(TestConfig, **settings)


def pytest_report_header(config):
    return f"database: {databases.wanted()}"


def starts_workers(config) -> bool:
    """This process is the controller of pytest-xdist workers (`-n 2`), which run the tests."""
    return (
        not hasattr(config, "workerinput")
        and config.getoption("dist", "no") != "no"
        and bool(config.getoption("tx", None))
        and not config.getoption("collectonly")
    )


def pytest_configure(config):
    """With workers on PostgreSQL, one throwaway cluster for the session rather than one each."""
    if starts_workers(config) and databases.wanted() == "postgresql":
        databases.start_shared_cluster()


def pytest_sessionfinish(session):
    databases.close()


def pytest_unconfigure(config):
    databases.stop_shared_cluster()


@pytest.fixture(autouse=True)
def _drop_test_databases(request):
    """Drop every database the test created, after its apps and servers have stopped; a test marked
    no_database gets none (see tests/README.md)."""
    if request.node.get_closest_marker("no_database"):
        with databases.refused(request.node.nodeid):
            yield
        return
    yield
    databases.databases().drop_created()


FORM_VERSION_1 = pytest.mark.parametrize("app", ["station-quality-1.toml"], indirect=True)
"""Pins a test to version 1 of the form: its app knows no later version, so new assessments use 1."""


def only_form(folder, form_file: str) -> str:
    """A forms directory inside `folder` holding only the shipped form file `form_file`."""
    forms = folder / "forms"
    forms.mkdir()
    shutil.copy(ROOT / "rubric" / "forms" / form_file, forms)
    return str(forms)


@pytest.fixture
def app(request, tmp_path):
    """The app; parametrized (indirect) with a form file's name, an app that knows only that form."""
    form_file = getattr(request, "param", None)
    overrides = {"RUBRIC_DIR": only_form(tmp_path, form_file)} if form_file else {}
    app = make_test_app(tmp_path, **overrides)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_station(app):
    def make(code="S001", name="测试鉴定站", **fields):
        with app.app_context():
            station = Station(code=code, name=name, **fields)
            db.session.add(station)
            db.session.commit()
            return station.id

    return make


@pytest.fixture
def make_user(app):
    def make(username="assessor", role="assessor", station_id=None, active=True):
        with app.app_context():
            user = User(
                username=username,
                display_name=username.title(),
                role=role,
                station_id=station_id,
                active=active,
            )
            user.set_password(TEST_PASSWORD)
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


def csrf_token_from(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


class Auth:
    """Logs a test client in through the real login form and remembers its CSRF token."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def fetch_token(self) -> str:
        self.token = csrf_token_from(self.client.get("/login").get_data(as_text=True))
        return self.token

    def login(self, username="assessor", password=TEST_PASSWORD):
        token = self.fetch_token()
        response = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        if response.status_code == 302:
            self.fetch_token()  # a login renews the token, as the next page shows it
        return response

    def logout(self):
        response = self.client.post("/logout", data={"csrf_token": self.token})
        self.token = None  # a logout renews it too: headers() reads the new one when needed
        return response

    def headers(self) -> dict:
        return {"X-CSRFToken": self.token or self.fetch_token()}

    def put_json(self, url, payload):
        return self.client.put(url, json=payload, headers=self.headers())

    def post_json(self, url, payload=None):
        return self.client.post(url, json=payload if payload is not None else {}, headers=self.headers())


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def station_id(make_station):
    return make_station("GZ01", "广州市第一鉴定所")


@pytest.fixture
def assessor(auth, make_user):
    """An assessor, logged in."""
    make_user("assessor")
    auth.login("assessor")
    return auth


@pytest.fixture
def assessment_id(assessor, station_id):
    """An assessment in progress, started through the API."""
    response = assessor.post_json("/api/assessments", {"station_id": station_id})
    assert response.status_code == 201
    return response.get_json()["id"]
