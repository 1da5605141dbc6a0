"""Regions and scoped administration: each level sees and manages its own territory.

The territory: 全部区域 (root) > 湖南省 (HN) > 长沙市 (HN-CS) > 芙蓉区 (HN-CS-FR), and 株洲市 (HN-ZZ)
beside 长沙市. An administrator and an assessor at every level; a station in every region below
the province, one at the root. The matrices ask every route about every object from every level,
and compare what comes back with what the rule says (属地管理、分级负责).
"""

import io
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

from app.extensions import db
from app.models import AuditEvent, Region, Station, User
from app.services import assessments, dashboard, region_import, regions
from tests.admin.test_admin import finish_assessment
from tests.conftest import TEST_PASSWORD, Auth

# Each region's ancestors, nearest first: the rule the matrices check against.
ANCESTORS = {
    "ROOT": [],
    "HN": ["ROOT"],
    "HN-CS": ["HN", "ROOT"],
    "HN-ZZ": ["HN", "ROOT"],
    "HN-CS-FR": ["HN-CS", "HN", "ROOT"],
}
STATION_REGIONS = {"S-ROOT": "ROOT", "S-CS": "HN-CS", "S-FR": "HN-CS-FR", "S-ZZ": "HN-ZZ", "S-ZZ2": "HN-ZZ"}
ADMINS = {"admin": "ROOT", "hn_admin": "HN", "cs_admin": "HN-CS", "zz_admin": "HN-ZZ", "fr_admin": "HN-CS-FR"}
ASSESSORS = {
    "root_assessor": "ROOT",
    "cs_assessor": "HN-CS",
    "zz_assessor": "HN-ZZ",
    "fr_assessor": "HN-CS-FR",
}
STAFF = {"cs_staff": "S-CS", "zz_staff": "S-ZZ"}
# Who finalized which station's assessment, and the items it lost (2 points each).
FINALIZED = {
    "S-CS": ("cs_assessor", ("1.1.1",)),
    "S-FR": ("fr_assessor", ("1.1.1", "1.2.1")),
    "S-ZZ": ("zz_assessor", ("1.2.1",)),
}


def within(region: str, home: str) -> bool:
    """`region` is `home` or below it."""
    return region == home or home in ANCESTORS[region]


def strictly_below(region: str, home: str) -> bool:
    return home in ANCESTORS[region]


def user_region(username: str) -> str:
    if username in STAFF:
        return STATION_REGIONS[STAFF[username]]
    return {**ADMINS, **ASSESSORS}[username]


def admin_manages(viewer: str, target: str) -> bool:
    """The rule for accounts: the root sees all; others themselves, assessors and staff within,
    administrators strictly below."""
    home = ADMINS[viewer]
    if home == "ROOT" or viewer == target:
        return True
    if target in ADMINS:
        return strictly_below(ADMINS[target], home)
    return within(user_region(target), home)


@pytest.fixture
def territory(app):
    with app.app_context():
        root = regions.root()
        hn = regions.create("HN", "湖南省", root, None)
        cs = regions.create("HN-CS", "长沙市", hn, None)
        zz = regions.create("HN-ZZ", "株洲市", hn, None)
        regions.create("HN-CS-FR", "芙蓉区", cs, None)
        by_code = {region.code: region for region in db.session.scalars(db.select(Region))}
        stations = {}
        for code, region in STATION_REGIONS.items():
            stations[code] = Station(code=code, name=f"{code} 鉴定站", region=by_code[region])
            db.session.add(stations[code])
        db.session.flush()
        for username, region in {**ADMINS, **ASSESSORS}.items():
            role = "admin" if username in ADMINS else "assessor"
            _user(username, role, region=by_code[region])
        for username, station in STAFF.items():
            _user(username, "staff", station=stations[station])
        db.session.commit()
        assert zz.parent_id == hn.id
    ids = {"finalized": {}}
    for station, (username, lost) in FINALIZED.items():
        ids["finalized"][station] = finish_assessment(app, station_id(app, station), username, lost=lost)[0]
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="root_assessor"))
        going = assessments.start_assessment(
            db.session.scalar(db.select(Station).filter_by(code="S-ROOT")), user
        )
        db.session.commit()
        ids["in_progress"] = {"S-ROOT": going.id}
        ids["stations"] = {code: id_ for code, id_ in db.session.execute(db.select(Station.code, Station.id))}
        ids["users"] = {name: id_ for name, id_ in db.session.execute(db.select(User.username, User.id))}
        ids["regions"] = {code: id_ for code, id_ in db.session.execute(db.select(Region.code, Region.id))}
    return SimpleNamespace(**ids)


def _user(username, role, region=None, station=None) -> User:
    user = User(username=username, display_name=username, role=role, region=region, station=station)
    user.set_password(TEST_PASSWORD)
    db.session.add(user)
    return user


def station_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Station.id).filter_by(code=code))


def logged_in(app, username: str) -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(username).status_code == 302
    return auth


def station_search(auth: Auth, query: str) -> str:
    """The stations an assessor's search finds (the list htmx swaps in, without their own cards)."""
    return auth.client.get(f"/assess/?q={query}", headers={"HX-Request": "true"}).get_data(as_text=True)


def post(auth: Auth, url: str, data=None):
    return auth.client.post(url, data={"csrf_token": auth.token, **(data or {})})


def assessment_station(territory, assessment_id: int) -> str:
    every = {**territory.finalized, **territory.in_progress}
    return next(code for code, id_ in every.items() if id_ == assessment_id)


# --- the access matrix for administrators ------------------------------------------------------


@pytest.mark.parametrize("viewer", sorted(ADMINS))
def test_an_administrator_reaches_exactly_the_stations_assessments_users_and_regions_of_their_subtree(
    app, territory, viewer
):
    auth = logged_in(app, viewer)
    home = ADMINS[viewer]
    wrong = []

    def expect(seen: bool, response, what):
        if seen and response.status_code == 404 or not seen and response.status_code != 404:
            wrong.append((what, response.status_code, "should see" if seen else "should be 404"))

    for code, id_ in territory.stations.items():
        seen = within(STATION_REGIONS[code], home)
        expect(seen, auth.client.get(f"/admin/stations/{id_}"), ("station", code))
        expect(seen, post(auth, f"/admin/stations/{id_}/reactivate"), ("reactivate", code))
        expect(seen, post(auth, f"/admin/stations/{id_}/assign", {"username": ""}), ("assign", code))
        expect(seen, auth.client.get(f"/admin/?region={STATION_REGIONS[code]}"), ("dashboard", code))
    for username, id_ in territory.users.items():
        seen = admin_manages(viewer, username)
        expect(seen, auth.client.get(f"/admin/users/{id_}"), ("user", username))
        expect(seen, post(auth, f"/admin/users/{id_}/password", {"password": ""}), ("password", username))
        expect(seen, post(auth, f"/admin/users/{id_}/reactivate"), ("reactivate", username))
    for assessment_id in [*territory.finalized.values(), *territory.in_progress.values()]:
        code = assessment_station(territory, assessment_id)
        seen = within(STATION_REGIONS[code], home)
        expect(seen, auth.client.get(f"/admin/assessments/{assessment_id}"), ("assessment", code))
        expect(seen, post(auth, f"/admin/assessments/{assessment_id}/reopen"), ("reopen", code))
        expect(seen, auth.client.get(f"/reports/assessments/{assessment_id}"), ("report", code))
        expect(seen, auth.client.get(f"/api/assessments/{assessment_id}"), ("api", code))
        expect(seen, auth.client.get(f"/assess/{assessment_id}/summary"), ("summary", code))
    for code, id_ in territory.regions.items():
        seen = home == "ROOT" or strictly_below(code, home)
        expect(seen, auth.client.get(f"/admin/regions/{id_}"), ("region", code))
    assert wrong == []


@pytest.mark.parametrize("viewer", sorted(ADMINS))
def test_an_administrators_lists_exports_and_api_hold_only_their_subtree(app, territory, viewer):
    auth = logged_in(app, viewer)
    home = ADMINS[viewer]
    mine = {code for code, region in STATION_REGIONS.items() if within(region, home)}
    others = set(STATION_REGIONS) - mine
    stations_page = auth.client.get("/admin/stations").get_data(as_text=True)
    assessments_page = auth.client.get("/admin/assessments").get_data(as_text=True)
    csv = auth.client.get("/reports/results.csv").get_data(as_text=True)
    for code in mine:
        assert f"{code} 鉴定站" in stations_page
    for code in others:
        assert f"{code} 鉴定站" not in stations_page
        assert f"{code} 鉴定站" not in assessments_page
        assert f"{code} 鉴定站" not in csv
    exported = {code for code in FINALIZED if f"{code} 鉴定站" in csv}
    assert exported == {code for code in FINALIZED if code in mine}
    users_page = auth.client.get("/admin/users").get_data(as_text=True)
    for username in territory.users:
        assert (f"<strong>{username}</strong>" in users_page) == admin_manages(viewer, username), username
    regions_page = auth.client.get("/admin/regions").get_data(as_text=True)
    for code in ANCESTORS:
        assert (f">{code}<" in regions_page) == (home == "ROOT" or within(code, home)), code
    for code in STATION_REGIONS:
        response = auth.post_json("/api/assessments", {"station_id": territory.stations[code]})
        if code in mine and code != "S-ROOT":
            assert response.status_code == 201, code
        elif code not in mine:
            assert response.status_code == 422, code


def test_an_export_filtered_by_region_holds_its_subtree_and_carries_the_region_path(app, territory):
    auth = logged_in(app, "hn_admin")
    csv = auth.client.get("/reports/results.csv?region=HN-CS").get_data(as_text=True)
    assert "S-CS 鉴定站" in csv and "S-FR 鉴定站" in csv and "S-ZZ 鉴定站" not in csv
    assert "湖南省 / 长沙市 / 芙蓉区" in csv
    assert "区域" in csv.splitlines()[0]
    # A region outside the administrator's own is not a choice: the export is refused, not widened.
    city = logged_in(app, "cs_admin")
    assert city.client.get("/reports/results.csv?region=HN-ZZ").status_code == 422


# --- assessors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", sorted(ASSESSORS))
def test_an_assessor_sees_and_starts_only_the_stations_of_their_subtree(app, territory, viewer):
    auth = logged_in(app, viewer)
    home = ASSESSORS[viewer]
    wrong = []
    for code, assessment_id in territory.finalized.items():
        worked_on = FINALIZED[code][0] == viewer
        seen = within(STATION_REGIONS[code], home) or worked_on
        for url in (f"/assess/{assessment_id}/result", f"/api/assessments/{assessment_id}"):
            status = auth.client.get(url).status_code
            if (status == 404) == seen:
                wrong.append((url, code, status))
    search = station_search(auth, "鉴定站")
    for code, region in STATION_REGIONS.items():
        if (f"{code} 鉴定站" in search) != within(region, home):
            wrong.append(("search", code))
        if not within(region, home):
            start = post(auth, "/assess/start", {"station_id": territory.stations[code]})
            api = auth.post_json("/api/assessments", {"station_id": territory.stations[code]})
            join = auth.client.get(f"/assess/stations/{territory.stations[code]}/join")
            if (start.status_code, api.status_code, join.status_code) != (404, 422, 404):
                wrong.append(("start", code, start.status_code, api.status_code, join.status_code))
    assert wrong == []


def test_an_assessor_assigned_by_an_administrator_above_the_station_may_see_and_start_it(app, territory):
    zz_station = territory.stations["S-ZZ2"]
    assessor = logged_in(app, "cs_assessor")
    assert post(assessor, "/assess/start", {"station_id": zz_station}).status_code == 404
    # 长沙市's administrator holds neither the station nor (for 株洲市's) the assessor.
    assert (
        post(
            logged_in(app, "cs_admin"), f"/admin/stations/{zz_station}/assign", {"username": "cs_assessor"}
        ).status_code
        == 404
    )
    assert (
        post(
            logged_in(app, "zz_admin"), f"/admin/stations/{zz_station}/assign", {"username": "cs_assessor"}
        ).status_code
        == 422
    )
    province = logged_in(app, "hn_admin")
    assert (
        post(province, f"/admin/stations/{zz_station}/assign", {"username": "cs_assessor"}).status_code == 302
    )
    assert "cs_assessor" in province.client.get(f"/admin/stations/{zz_station}").get_data(as_text=True)
    started = post(assessor, "/assess/start", {"station_id": zz_station})
    assert started.status_code == 302 and "/assess/" in started.location
    assert "S-ZZ2 鉴定站" in station_search(assessor, "S-ZZ2")
    # Withdrawn, the station is out of reach again (the assessment they worked on stays theirs).
    user_id = territory.users["cs_assessor"]
    assert post(province, f"/admin/stations/{zz_station}/assignments/{user_id}/remove").status_code == 302
    assert "S-ZZ2 鉴定站" not in station_search(assessor, "S-ZZ2")
    with app.app_context():
        actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"station.assign", "station.unassign"} <= actions


# --- making administrators and regions -----------------------------------------------------------


@pytest.mark.parametrize(
    "viewer, role, region, status",
    [
        ("cs_admin", "admin", "HN-CS-FR", 302),
        ("cs_admin", "admin", "HN-CS", 422),
        ("cs_admin", "admin", "HN", 422),
        ("cs_admin", "assessor", "HN-CS", 302),
        ("cs_admin", "assessor", "HN-ZZ", 422),
        ("cs_admin", "admin", "", 422),
        ("hn_admin", "admin", "HN-ZZ", 302),
        ("admin", "admin", "ROOT", 302),
    ],
)
def test_administrators_are_made_only_below_their_makers_level(app, territory, viewer, role, region, status):
    auth = logged_in(app, viewer)
    data = {
        "username": "newcomer",
        "display_name": "新人",
        "role": role,
        "region_code": region,
        "password": "a long enough secret",
    }
    assert post(auth, "/admin/users/new", data).status_code == status
    with app.app_context():
        made = db.session.scalar(db.select(User).filter_by(username="newcomer"))
        assert (made is not None) == (status == 302)
        if made is not None:
            assert made.region.code == (region or ADMINS[viewer])


def test_a_city_administrator_cannot_move_an_administrator_to_their_own_level(app, territory):
    auth = logged_in(app, "cs_admin")
    fr_admin = territory.users["fr_admin"]
    data = {"display_name": "x", "role": "admin", "region_code": "HN-CS"}
    assert post(auth, f"/admin/users/{fr_admin}", data).status_code == 422
    data["region_code"] = "HN-ZZ"
    assert post(auth, f"/admin/users/{fr_admin}", data).status_code == 422
    with app.app_context():
        assert db.session.get(User, fr_admin).region.code == "HN-CS-FR"


def test_an_administrator_below_the_root_edits_their_own_profile_and_keeps_their_region(app, territory):
    auth = logged_in(app, "cs_admin")
    data = {"display_name": "长沙市管理员", "role": "admin", "email": ""}
    assert post(auth, f"/admin/users/{territory.users['cs_admin']}", data).status_code == 302
    # Naming another region for oneself changes nothing.
    data["region_code"] = "HN-CS-FR"
    post(auth, f"/admin/users/{territory.users['cs_admin']}", data)
    with app.app_context():
        user = db.session.get(User, territory.users["cs_admin"])
        assert (user.display_name, user.region.code) == ("长沙市管理员", "HN-CS")


def test_a_city_administrator_adds_regions_below_their_own_only(app, territory):
    auth = logged_in(app, "cs_admin")
    assert (
        post(
            auth, "/admin/regions/new", {"code": "HN-CS-YL", "name": "岳麓区", "parent_code": "HN-CS"}
        ).status_code
        == 302
    )
    assert (
        post(
            auth, "/admin/regions/new", {"code": "HN-ZZ-SF", "name": "石峰区", "parent_code": "HN-ZZ"}
        ).status_code
        == 422
    )
    fr = territory.regions["HN-CS-FR"]
    # Moving a region below itself is refused; renaming it works.
    moved = post(
        auth,
        f"/admin/regions/{territory.regions['HN-CS-FR']}",
        {"code": "HN-CS-FR", "name": "芙蓉区", "parent_code": "HN-CS-FR"},
    )
    assert moved.status_code == 422
    renamed = post(
        auth, f"/admin/regions/{fr}", {"code": "HN-CS-FR", "name": "芙蓉区（新）", "parent_code": "HN-CS"}
    )
    assert renamed.status_code == 302
    with app.app_context():
        assert db.session.get(Region, fr).name == "芙蓉区（新）"
        parent = db.session.scalar(db.select(Region).filter_by(code="HN-CS-YL")).parent
        assert parent.code == "HN-CS"


def test_a_station_goes_to_the_administrators_own_region_unless_told(app, territory):
    auth = logged_in(app, "cs_admin")
    assert post(auth, "/admin/stations/new", {"code": "S-NEW", "name": "新站"}).status_code == 302
    assert (
        post(
            auth, "/admin/stations/new", {"code": "S-FR2", "name": "芙蓉站", "region_code": "HN-CS-FR"}
        ).status_code
        == 302
    )
    assert (
        post(
            auth, "/admin/stations/new", {"code": "S-ZZ3", "name": "株洲站", "region_code": "HN-ZZ"}
        ).status_code
        == 422
    )
    with app.app_context():
        placed = dict(db.session.execute(db.select(Station.code, Region.code).join(Station.region)).all())
    assert placed["S-NEW"] == "HN-CS" and placed["S-FR2"] == "HN-CS-FR" and "S-ZZ3" not in placed


# --- figures per region ---------------------------------------------------------------------------


def test_the_rollup_matches_a_hand_count(app, territory):
    # By hand: S-CS 98 (lost 1.1.1), S-FR 96 (lost 1.1.1 and 1.2.1), S-ZZ 98 (lost 1.2.1); S-ZZ2
    # never assessed; S-ROOT in progress.
    with app.test_request_context():
        period = dashboard.Period.last_twelve_months()
        hn, cs, root = (regions.by_code(code) for code in ("HN", "HN-CS", "ROOT"))
        rows = [
            (
                r.region.code,
                r.direct,
                r.active_stations,
                r.stations_assessed,
                r.assessments_finalized,
                r.average,
            )
            for r in dashboard.rollup(period, hn)
        ]
        assert rows == [("HN-CS", False, 2, 2, 2, 97.0), ("HN-ZZ", False, 2, 1, 1, 98.0)]
        rows = [
            (
                r.region.code,
                r.direct,
                r.active_stations,
                r.stations_assessed,
                r.assessments_finalized,
                r.average,
            )
            for r in dashboard.rollup(period, root)
        ]
        assert rows == [("ROOT", True, 1, 0, 0, None), ("HN", False, 4, 3, 3, 97.3)]
        assert dashboard.summary(period, hn) == {
            "assessments_finalized": 3,
            "in_progress": 0,
            "active_stations": 4,
        }
        assert dashboard.summary(period, cs) == {
            "assessments_finalized": 2,
            "in_progress": 0,
            "active_stations": 2,
        }
        assert dashboard.summary(period, None) == {
            "assessments_finalized": 3,
            "in_progress": 1,
            "active_stations": 5,
        }
        top = [
            (e.item.id, e.assessments, e.deduction) for e in dashboard.top_deductions(period, 2, within=cs)
        ]
        assert top == [("1.1.1", 2, 4), ("1.2.1", 1, 2)]
        # Counted for a region, or added up from the daily tallies for everything: the same figures.
        counted = [
            (e.item.id, e.assessments, e.deduction, e.share)
            for e in dashboard.top_deductions(period, 3, within=hn)
        ]
        tallied = [
            (e.item.id, e.assessments, e.deduction, e.share) for e in dashboard.top_deductions(period, 3)
        ]
        assert counted == tallied == [("1.1.1", 2, 4, 2 / 3), ("1.2.1", 2, 4, 2 / 3)]
        spread = dashboard.spread(period, cs)
        assert (spread.stations, spread.average) == (2, 97.0)
        totals = dashboard.station_totals(period, 1, "code", within=cs).items
        assert [(row.station.code, row.latest) for row in totals] == [("S-CS", 98), ("S-FR", 96)]


def test_the_province_dashboard_sets_each_city_beside_the_others(app, territory):
    html = logged_in(app, "hn_admin").client.get("/admin/").get_data(as_text=True)
    table = html[html.index('id="rollup-table"') :]
    table = table[: table.index("</table>")]
    assert "长沙市" in table and "株洲市" in table and "芙蓉区" not in table
    city = logged_in(app, "cs_admin").client.get("/admin/").get_data(as_text=True)
    assert "株洲市" not in city and "S-ZZ 鉴定站" not in city
    assert "芙蓉区" in city


# --- importing a region tree -----------------------------------------------------------------------


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(auth, url, filename, content: bytes):
    return auth.client.post(
        url,
        data={"csrf_token": auth.token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def confirm(auth, url, preview_html):
    import re

    token = re.search(r'name="rows" type="hidden" value="([^"]+)"', preview_html)
    assert token, "the preview has no confirm form"
    return post(auth, url, {"rows": token.group(1)})


def test_a_region_tree_imports_in_any_order_and_bad_rows_are_rejected_with_reasons(app, territory):
    auth = logged_in(app, "hn_admin")
    content = "\n".join(
        [
            "代码,名称,上级",
            "HN-YY-XX,湘阴县,HN-YY",  # 2: its parent comes later in the file
            "HN-YY,岳阳市,",  # 3: no parent: the administrator's own region
            "HN-CS,重复,HN",  # 4: the code is in use
            ",无代码,HN",  # 5: no code
            "HN-X1,甲,HN-X2",  # 6 and 7: each other's parents
            "HN-X2,乙,HN-X1",
            "HN-GD,广东,GD",  # 8: no such region
            "HN-ZZ-SUB,株洲下属,HN-ZZ",  # 9: a region of the subtree
            "HN-BAD-CHILD,坏,HN-X1",  # 10: its parent row is rejected
            "HN-TWICE,一,HN",  # 11 and 12: twice in the file
            "HN-TWICE,二,HN",
            "HN-OUT,外,ROOT",  # 13: above the administrator: not a region they see
        ]
    ).encode()
    preview = upload(auth, "/admin/regions/import", "regions.csv", content)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "3 行可以导入" in html or "3 rows can be imported" in html, html
    with app.test_request_context():
        rows = region_import.read_rows("regions.csv", content)
        checked = region_import.check(rows, db.session.scalar(db.select(User).filter_by(username="hn_admin")))
        problems = {row.number: [str(p) for p in row.problems] for row in checked.rejected}
    assert sorted(row.number for row in checked.good) == [2, 3, 9]
    assert sorted(problems) == [4, 5, 6, 7, 8, 10, 11, 12, 13]
    assert any("HN-CS" in p for p in problems[4])
    assert any("GD" in p for p in problems[8])
    assert any("ROOT" in p for p in problems[13])
    assert any("6, 7" in p for p in problems[6])
    assert any("6" in p for p in problems[10])
    assert any("11, 12" in p for p in problems[11])
    assert confirm(auth, "/admin/regions/import/confirm", html).status_code == 302
    with app.app_context():
        made = {r.code: r.parent.code for r in db.session.scalars(db.select(Region)) if r.parent}
    assert made["HN-YY"] == "HN" and made["HN-YY-XX"] == "HN-YY" and made["HN-ZZ-SUB"] == "HN-ZZ"
    assert "HN-X1" not in made and "HN-TWICE" not in made


def test_a_region_import_is_refused_whole_when_a_code_was_taken_after_the_preview(app, territory):
    auth = logged_in(app, "hn_admin")
    html = upload(
        auth,
        "/admin/regions/import",
        "r.xlsx",
        xlsx([["code", "name", "parent"], ["HN-A", "甲", "HN"], ["HN-B", "乙", "HN-A"]]),
    ).get_data(as_text=True)
    with app.app_context():
        regions.create("HN-B", "抢先", None, None)
        db.session.commit()
    assert confirm(auth, "/admin/regions/import/confirm", html).status_code == 409
    with app.app_context():
        assert regions.by_code("HN-A") is None


def test_stations_import_into_the_region_of_their_column_within_the_administrators_territory(app, territory):
    auth = logged_in(app, "cs_admin")
    content = "代码,名称,区域\nI-1,一站,HN-CS-FR\nI-2,二站,\nI-3,三站,HN-ZZ\n".encode()
    html = upload(auth, "/admin/stations/import", "s.csv", content).get_data(as_text=True)
    assert "HN-ZZ" in html  # the rejected row names the region it does not know
    assert confirm(auth, "/admin/stations/import/confirm", html).status_code == 302
    with app.app_context():
        placed = dict(db.session.execute(db.select(Station.code, Region.code).join(Station.region)).all())
    assert placed["I-1"] == "HN-CS-FR" and placed["I-2"] == "HN-CS" and "I-3" not in placed


# --- the command line and the migration's root ----------------------------------------------------


def test_the_cli_makes_regions_stations_and_users_in_them(app, runner):
    assert runner.invoke(args=["region", "create", "HN", "湖南省"]).exit_code == 0
    result = runner.invoke(args=["region", "create", "HN-CS", "长沙市", "--parent", "HN"])
    assert result.exit_code == 0 and "湖南省" in result.output
    assert runner.invoke(args=["region", "create", "X", "无", "--parent", "NOPE"]).exit_code == 2
    assert runner.invoke(args=["station", "create", "CS1", "长沙一站", "--region", "HN-CS"]).exit_code == 0
    assert runner.invoke(args=["station", "create", "R1", "根站"]).exit_code == 0
    assert runner.invoke(args=["station", "create", "N1", "无站", "--region", "NOPE"]).exit_code == 2
    env = {"PASSWORD": "a long enough secret"}
    assert (
        runner.invoke(
            args=["user", "create", "cs", "--role", "admin", "--region", "HN-CS"], env=env
        ).exit_code
        == 0
    )
    assert runner.invoke(args=["user", "create", "top", "--role", "assessor"], env=env).exit_code == 0
    with app.app_context():
        assert db.session.scalar(db.select(Station).filter_by(code="CS1")).region.code == "HN-CS"
        assert db.session.scalar(db.select(Station).filter_by(code="R1")).region.is_root
        assert db.session.scalar(db.select(User).filter_by(username="cs")).region.code == "HN-CS"
        assert db.session.scalar(db.select(User).filter_by(username="top")).region.is_root


def test_the_demo_has_a_province_two_cities_and_an_administrator_at_each_level(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for login in ("admin", "hn_admin", "cs_admin", "zz_admin"):
        assert login in result.output
    assert "湖南省 / 长沙市" in result.output and "湖南省 / 株洲市" in result.output
    html = logged_in_demo(app, "hn_admin").client.get("/admin/").get_data(as_text=True)
    table = html[html.index('id="rollup-table"') :]
    table = table[: table.index("</table>")]
    assert "长沙市" in table and "株洲市" in table
    city = logged_in_demo(app, "cs_admin").client.get("/admin/stations").get_data(as_text=True)
    assert "CS101" in city and "ZZ201" not in city and "BJ001" not in city


def logged_in_demo(app, username: str) -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(username, "demo2026").status_code == 302
    return auth


def test_the_migration_moves_existing_stations_and_people_into_one_root_region(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from tests import databases
    from tests.conftest import TestConfig

    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=databases.databases().create_empty(tmp_path),
        UPLOAD_DIR=str(tmp_path),
    )
    with app.app_context():
        upgrade(revision="b7d41c2e9a55")
        with db.engine.begin() as connection:
            for code in ("OLD1", "OLD2"):
                connection.execute(
                    text(
                        "INSERT INTO stations (code, name, address, contact, active, created_at) "
                        "VALUES (:code, :code, '', '', true, CURRENT_TIMESTAMP)"
                    ),
                    {"code": code},
                )
            station = connection.scalar(text("SELECT id FROM stations WHERE code = 'OLD1'"))
            for username, role, station_id in (
                ("boss", "admin", None),
                ("wang", "assessor", None),
                ("li", "staff", station),
            ):
                connection.execute(
                    text(
                        "INSERT INTO users (username, display_name, email, password_hash, role, station_id, "
                        "active, created_at) VALUES (:u, :u, '', 'x', :r, :s, true, CURRENT_TIMESTAMP)"
                    ),
                    {"u": username, "r": role, "s": station_id},
                )
        upgrade()
        root = regions.by_code("ROOT")
        assert root is not None and root.is_root
        assert {s.region_id for s in db.session.scalars(db.select(Station))} == {root.id}
        placed = {u.username: u.region_id for u in db.session.scalars(db.select(User))}
        assert placed == {"boss": root.id, "wang": root.id, "li": None}
        boss = db.session.scalar(db.select(User).filter_by(username="boss"))
        assert regions.is_root_admin(boss)
        if db.engine.dialect.name == "sqlite":
            # The migration turned SQLite's foreign keys off to rebuild tables, and on again after.
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("importer, applied", [("zz_admin", False), ("admin", True)])
def test_a_phone_file_reaches_only_assessments_both_its_author_and_the_importer_see(
    app, territory, importer, applied
):
    import json
    import uuid

    from app.models import Finding
    from app.services import authorship

    going = territory.in_progress["S-ROOT"]
    with app.test_request_context():
        author = db.session.get(User, territory.users["root_assessor"])
        token = authorship.token_for(author)
    entry = {
        "seq": 1,
        "kind": "finding",
        "mutation_id": str(uuid.uuid4()),
        "assessment_id": going,
        "item_id": "1.1.1",
        "author_token": token,
        "payload": {"outcome": "full", "note": ""},
    }
    content = json.dumps(
        {"format": "assessment-outbox", "version": 1, "exported_by": "root_assessor", "entries": [entry]}
    ).encode()
    auth = logged_in(app, importer)
    response = auth.client.post(
        "/admin/outbox-import",
        data={"csrf_token": auth.token, "file": (io.BytesIO(content), "outbox.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    with app.app_context():
        recorded = db.session.scalar(db.select(Finding).filter_by(assessment_id=going, item_id="1.1.1"))
    assert (recorded is not None) == applied
