"""Who reaches which plan route: administrators within their region's subtree, inspectors their own
visits and declarations, station staff nothing; the public pages only once published."""

import pytest

from app.extensions import db
from app.models import AuditEvent, InspectionPlan, PlanDraw
from tests.conftest import Auth
from tests.plans.conftest import create_plan, logged_in, post
from tests.plans.test_plans import draw


@pytest.fixture
def drawn(app, land):
    """A plan of 湖南省 (HN), drawn, with the id of its first visit and that visit's team."""
    plan_id = create_plan(app, land)
    draw(app, plan_id)
    with app.app_context():
        visit = db.session.get(InspectionPlan, plan_id).current_draw.visits[0]
        return plan_id, visit.id, [user.username for user in visit.team]


def as_role(app, who):
    if who == "anonymous":
        auth = Auth(app.test_client())
        auth.fetch_token()
        return auth
    return logged_in(app, who)


ADMIN_PLAN_ROUTES = [
    ("GET", "/plans/{plan}"),
    ("POST", "/plans/{plan}/draw"),
    ("POST", "/plans/{plan}/publish"),
    ("POST", "/plans/{plan}/withdraw"),
]
ADMIN_ROUTES = [
    ("GET", "/plans/"),
    ("GET", "/plans/new"),
    ("POST", "/plans/new"),
    ("GET", "/plans/flags"),
    ("POST", "/plans/flags"),
    ("POST", "/plans/flags/{station}/remove"),
]


def call(auth, method, url):
    if method == "GET":
        return auth.client.get(url)
    return post(auth, url)


@pytest.mark.parametrize(
    "who, status",
    [("cs_admin", 404), ("gd_admin", 404), ("li", 403), ("staff_cs01", 403), ("anonymous", 302)],
)
def test_a_plan_is_out_of_reach_outside_its_region_subtree_and_for_non_administrators(
    app, land, drawn, who, status
):
    plan_id = drawn[0]
    auth = as_role(app, who)
    for method, url in ADMIN_PLAN_ROUTES:
        response = call(auth, method, url.format(plan=plan_id))
        assert response.status_code == status, (who, method, url)
        if status == 302:
            assert response.location.startswith("/login")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(PlanDraw.id))) == 1
        assert db.session.get(InspectionPlan, plan_id).published_at is None
        assert (
            db.session.scalar(
                db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "plan.publish")
            )
            == 0
        )


@pytest.mark.parametrize("who", ["root_admin", "hn_admin"])
def test_the_plans_administrator_and_those_above_see_and_manage_it(app, land, drawn, who):
    plan_id = drawn[0]
    auth = logged_in(app, who)
    assert auth.client.get(f"/plans/{plan_id}").status_code == 200
    assert "2026年第四季度双随机检查" in auth.client.get("/plans/").get_data(as_text=True)
    assert post(auth, f"/plans/{plan_id}/publish").status_code == 302


@pytest.mark.parametrize("who", ["cs_admin", "gd_admin"])
def test_the_plan_list_holds_only_plans_of_the_administrators_subtree(app, land, drawn, who):
    assert "2026年第四季度双随机检查" not in logged_in(app, who).client.get("/plans/").get_data(as_text=True)


def test_an_administrator_above_sees_a_plan_made_below(app, land):
    plan_id = create_plan(
        app,
        land,
        admin="cs_admin",
        region_code="HN-CS",
        inspectors=[str(land.users[n]) for n in ("li", "wang")],
    )
    assert logged_in(app, "hn_admin").client.get(f"/plans/{plan_id}").status_code == 200
    assert logged_in(app, "gd_admin").client.get(f"/plans/{plan_id}").status_code == 404


@pytest.mark.parametrize(
    "who, status",
    [("li", 403), ("staff_cs01", 403), ("anonymous", 302), ("gd_admin", None), ("hn_admin", None)],
)
def test_administration_routes_of_plans_are_for_administrators_only(app, land, who, status):
    auth = as_role(app, who)
    for method, url in ADMIN_ROUTES:
        response = call(auth, method, url.format(station=land.stations["CS01"]))
        if status is None:
            assert response.status_code in (200, 404, 422), (who, method, url)
        else:
            assert response.status_code == status, (who, method, url)


def test_a_flag_outside_the_administrators_region_cannot_be_removed(app, land):
    assert (
        post(
            logged_in(app, "hn_admin"), "/plans/flags", {"station_code": "CS01", "reason": "投诉"}
        ).status_code
        == 302
    )
    assert post(logged_in(app, "gd_admin"), f"/plans/flags/{land.stations['CS01']}/remove").status_code == 404
    assert "CS01" in logged_in(app, "hn_admin").client.get("/plans/flags").get_data(as_text=True)


@pytest.mark.parametrize(
    "who, status", [("li", 200), ("hn_admin", 200), ("staff_cs01", 403), ("anonymous", 302)]
)
def test_conflicts_are_declared_by_inspectors(app, land, who, status):
    assert as_role(app, who).client.get("/plans/conflicts").status_code == status


def test_only_the_drawn_team_starts_a_visit(app, land, drawn):
    _plan, visit_id, team = drawn
    outsider = next(name for name in ("li", "wang", "zhao", "qian") if name not in team)
    for who, status in [
        (outsider, 404),
        ("guang", 404),
        ("hn_admin", 404),
        ("staff_cs01", 403),
        ("anonymous", 302),
    ]:
        assert post(as_role(app, who), f"/plans/visits/{visit_id}/start").status_code == status, who
    assert post(logged_in(app, team[0]), f"/plans/visits/{visit_id}/start").status_code == 302


def test_station_staff_see_nothing_of_plans(app, land, drawn):
    staff = logged_in(app, "staff_cs01")
    for url in ("/plans/", f"/plans/{drawn[0]}", "/plans/conflicts", "/plans/flags"):
        assert staff.client.get(url).status_code == 403
    assert "2026年第四季度" not in staff.client.get("/station/", follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["", ".json", ".csv"])
def test_public_results_answer_only_once_published(app, land, drawn, suffix):
    plan_id = drawn[0]
    anonymous = app.test_client()
    assert anonymous.get(f"/plans/public/{plan_id}{suffix}").status_code == 404
    assert anonymous.get(f"/plans/public/999{suffix}").status_code == 404
    post(logged_in(app, "hn_admin"), f"/plans/{plan_id}/publish")
    assert anonymous.get(f"/plans/public/{plan_id}{suffix}").status_code == 200
    assert logged_in(app, "staff_cs01").client.get(f"/plans/public/{plan_id}{suffix}").status_code == 200
