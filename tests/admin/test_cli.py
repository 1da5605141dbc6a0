import pytest

from app.cli import demo
from app.extensions import db
from app.models import Assessment, AuditEvent, Station, User
from tests.conftest import TEST_PASSWORD


def test_station_create(app, runner):
    result = runner.invoke(args=["station", "create", "GZ01", "广州鉴定站", "--address", "广州市"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        station = db.session.scalar(db.select(Station).filter_by(code="GZ01"))
        assert (station.name, station.address) == ("广州鉴定站", "广州市")
        assert db.session.scalar(db.select(AuditEvent).filter_by(action="station.create")).subject == "GZ01"


def test_station_create_refuses_duplicate_code(runner, make_station):
    make_station("GZ01")
    result = runner.invoke(args=["station", "create", "GZ01", "另一个"])
    assert result.exit_code != 0
    assert "exists already" in result.output


def test_station_create_names_the_taken_code_and_keeps_the_station(app, runner, make_station):
    make_station("GZ01", "广州站")
    result = runner.invoke(args=["station", "create", "GZ01", "另一个"])
    assert "Invalid value for 'CODE': A station with the code GZ01 exists already." in result.output
    with app.app_context():
        assert [s.name for s in db.session.scalars(db.select(Station))] == ["广州站"]


def test_user_create_takes_password_from_environment(app, runner, make_station):
    make_station("GZ01")
    result = runner.invoke(
        args=["user", "create", "li", "--role", "staff", "--station", "GZ01"],
        env={"PASSWORD": "long enough pw"},
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="li"))
        assert user.role == "staff" and user.station.code == "GZ01"
        assert user.check_password("long enough pw")
        assert "long enough pw" not in user.password_hash


def test_user_create_prompts_for_password(app, runner):
    result = runner.invoke(
        args=["user", "create", "wang", "--role", "assessor"], input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="wang")).check_password(TEST_PASSWORD)


def test_user_create_staff_needs_an_existing_station(runner):
    assert (
        "--station"
        in runner.invoke(
            args=["user", "create", "a", "--role", "staff"], env={"PASSWORD": TEST_PASSWORD}
        ).output
    )
    result = runner.invoke(
        args=["user", "create", "a", "--role", "staff", "--station", "NOPE"], env={"PASSWORD": TEST_PASSWORD}
    )
    assert "no station with code NOPE" in result.output


@pytest.mark.parametrize(
    "username, problem",
    [
        ("has space", "Use letters, digits, dot, dash or underscore."),
        ("王建国", "Use letters, digits, dot, dash or underscore."),
        ("a" * 65, "At most 64 characters."),
    ],
)
def test_user_create_refuses_a_username_the_admin_page_refuses(app, runner, username, problem):
    result = runner.invoke(
        args=["user", "create", username, "--role", "assessor"], env={"PASSWORD": TEST_PASSWORD}
    )
    assert result.exit_code != 0
    assert f"Invalid value for 'USERNAME': {problem}" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_user_create_refuses_a_taken_username(app, runner, make_user):
    make_user("wang")
    result = runner.invoke(
        args=["user", "create", "wang", "--role", "admin"], env={"PASSWORD": TEST_PASSWORD}
    )
    assert result.exit_code != 0
    assert "This username is taken." in result.output
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="wang")).role == "assessor"


def test_user_create_gives_no_station_to_a_user_who_is_not_staff(app, runner, make_station):
    """As on the admin page: only station staff belong to a station; another role drops the code."""
    make_station("GZ01")
    result = runner.invoke(
        args=["user", "create", "wang", "--role", "assessor", "--station", "GZ01"],
        env={"PASSWORD": TEST_PASSWORD},
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="wang")).station is None


def test_user_create_refuses_short_password_and_unknown_role(runner):
    assert (
        "at least 8"
        in runner.invoke(args=["user", "create", "a", "--role", "admin"], env={"PASSWORD": "short"}).output
    )
    assert (
        runner.invoke(
            args=["user", "create", "a", "--role", "boss"], env={"PASSWORD": TEST_PASSWORD}
        ).exit_code
        != 0
    )


def test_demo_creates_logins_and_assessments_and_can_run_twice(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "demo2026" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.query(User).count() == len(demo.DEMO_USERS) == 10
        assert db.session.query(Station).count() == len(demo.DEMO_STATIONS) == 7
        statuses = sorted(a.status for a in db.session.query(Assessment))
        assert statuses == ["finalized", "in_progress"]


@pytest.mark.parametrize(
    "password, problem",
    [
        ("password", "too common"),
        ("12345678", "too common"),
        (" " * 8, "only spaces"),
        ("wangwei-2026", "username"),
    ],
)
def test_user_create_refuses_weak_passwords_with_a_clear_message(runner, password, problem):
    result = runner.invoke(
        args=["user", "create", "wangwei", "--role", "assessor"], env={"PASSWORD": password}
    )
    assert result.exit_code != 0
    assert problem in result.output
