"""A province with two cities and a second province: administrators, inspectors, stations, staff."""

from types import SimpleNamespace

import pytest

from app.extensions import db
from app.models import InspectionPlan, Region, Station, User
from app.services import regions
from tests.conftest import TEST_PASSWORD, Auth
from tests.rectification.test_mail import inbox  # noqa: F401  (the SMTP server of the mail tests)

ADMINS = {"root_admin": "ROOT", "hn_admin": "HN", "cs_admin": "HN-CS", "gd_admin": "GD"}
INSPECTORS = {"li": "HN-CS", "wang": "HN-CS", "zhao": "HN-CS", "qian": "HN-ZZ", "guang": "GD"}
STATIONS = {"CS01": "HN-CS", "CS02": "HN-CS", "CS03": "HN-CS", "ZZ01": "HN-ZZ", "GD01": "GD"}


def make_user(username, role, region=None, station=None) -> User:
    user = User(username=username, display_name=f"{username}老师", role=role, region=region, station=station)
    user.email = f"{username}@assess.test"
    user.set_password(TEST_PASSWORD)
    db.session.add(user)
    return user


@pytest.fixture
def land(app):
    with app.app_context():
        root = regions.root()
        hn = regions.create("HN", "湖南省", root, None)
        regions.create("HN-CS", "长沙市", hn, None)
        regions.create("HN-ZZ", "株洲市", hn, None)
        regions.create("GD", "广东省", root, None)
        by_code = {region.code: region for region in db.session.scalars(db.select(Region))}
        stations = {
            code: Station(code=code, name=f"{code} 鉴定站", region=by_code[region])
            for code, region in STATIONS.items()
        }
        db.session.add_all(stations.values())
        for username, region in ADMINS.items():
            make_user(username, "admin", region=by_code[region])
        for username, region in INSPECTORS.items():
            make_user(username, "assessor", region=by_code[region])
        make_user("staff_cs01", "staff", station=stations["CS01"])
        db.session.commit()
        return SimpleNamespace(
            stations={code: s.id for code, s in stations.items()},
            users={name: id_ for name, id_ in db.session.execute(db.select(User.username, User.id))},
        )


def logged_in(app, username: str) -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(username).status_code == 302
    return auth


def post(auth: Auth, url: str, data=None):
    return auth.client.post(url, data={"csrf_token": auth.token, **(data or {})})


def plan_form(land, **changes) -> dict:
    values = {
        "name": "2026年第四季度双随机检查",
        "region_code": "HN",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "form_version": "station-quality@1",
        "draw_count": "2",
        "draw_percent": "",
        "team_size": "2",
        "conflict_years": "3",
        "inspectors": [str(land.users[name]) for name in ("li", "wang", "zhao", "qian")],
        "visit_start": "2026-12-01",
        "visit_end": "2026-12-20",
    }
    return {**values, **changes}


def create_plan(app, land, admin="hn_admin", **changes) -> int:
    auth = logged_in(app, admin)
    response = post(auth, "/plans/new", plan_form(land, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return db.session.scalar(db.select(InspectionPlan.id).order_by(InspectionPlan.id.desc()))
