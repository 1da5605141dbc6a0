"""Administration: stations, users, assessments and the picture across stations."""

import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook

from app.extensions import db
from app.models import Assessment, AuditEvent, Finding, Station, User, utcnow
from app.services import assessments, dashboard, people, stations
from app.services.refusals import Refused
from app.services.rubrics import rubric_of
from tests.conftest import TEST_PASSWORD, csrf_token_from

NEW_PASSWORD = "a brand new secret"


@pytest.fixture
def admin(make_user, auth):
    user_id = make_user("boss", role="admin")
    auth.login("boss")
    return user_id


def post_form(auth, url, data=None, **kwargs):
    return auth.client.post(url, data={"csrf_token": auth.token, **(data or {})}, **kwargs)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


def station_codes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(db.select(Station.code)))


def finish_assessment(
    app, station_id, username, lost=(), finalized_at=None, outcomes=None
) -> tuple[int, int]:
    """A finalized assessment where the items in `lost` get zero (or `outcomes`), all others full."""
    outcomes = {**{item_id: "zero" for item_id in lost}, **(outcomes or {})}
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=username))
        assessment = assessments.start_assessment(db.session.get(Station, station_id), user)
        for item in rubric_of(assessment).items:
            outcome = outcomes.get(item.id, "full")
            lost = outcome != "full"
            assessments.record_finding(
                assessment,
                item.id,
                outcome=outcome,
                inputs=None,
                note="现场发现问题。" if lost else "",
                no_photo_reason="档案室禁止拍照。" if lost else None,
                user=user,
            )
        db.session.flush()
        assessments.finalize(assessment, user)
        if finalized_at is not None:
            # Back-dated history: the dashboard's daily tallies are recounted for it.
            assessment.finalized_at = finalized_at
            db.session.flush()
            dashboard.rebuild_tallies(db.session.connection())
        db.session.commit()
        return assessment.id, assessment.score


def admin_urls(app) -> list[tuple[str, str]]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            values = {name: 1 for name in rule.arguments}
            path = app.url_map.bind("localhost").build(rule.endpoint, values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                urls.append((method, path))
    return urls


def test_every_admin_route_is_listed(app):
    assert len(admin_urls(app)) >= 20


@pytest.mark.parametrize("role", ["assessor", "staff"])
def test_assessors_and_staff_are_refused_every_admin_route(app, auth, make_user, make_station, role):
    station_id = make_station()
    make_user("someone", role=role, station_id=station_id if role == "staff" else None)
    auth.login("someone")
    for method, path in admin_urls(app):
        response = auth.client.open(path, method=method, data={"csrf_token": auth.token})
        assert response.status_code == 403, (method, path)


def test_anonymous_visitors_are_sent_to_login_from_every_admin_route(app, auth):
    auth.fetch_token()
    for method, path in admin_urls(app):
        response = auth.client.open(path, method=method, data={"csrf_token": auth.token})
        assert response.status_code == 302, (method, path)
        assert response.location.startswith("/login"), (method, path)


def test_admin_starts_at_the_dashboard_and_sees_the_admin_link(client, admin):
    response = client.get("/")
    assert response.location == "/admin/"
    assert 'href="/admin/"' in client.get("/admin/stations").get_data(as_text=True)


def test_assessor_sees_no_admin_link(client, auth, make_user):
    make_user("walker")
    auth.login("walker")
    assert 'href="/admin/"' not in client.get("/assess/").get_data(as_text=True)


def test_admin_creates_a_station_and_the_audit_trail_records_it(app, auth, admin):
    data = {"code": " GZ09 ", "name": "广州市第九鉴定站", "address": "广州市天河路 1 号", "contact": "王老师"}
    response = post_form(auth, "/admin/stations/new", data)
    assert response.status_code == 302
    with app.app_context():
        station = db.session.scalar(db.select(Station).filter_by(code="GZ09"))
        assert (station.name, station.address, station.contact, station.active) == (
            "广州市第九鉴定站",
            "广州市天河路 1 号",
            "王老师",
            True,
        )
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="station.create"))
        assert (event.subject, event.user_id, event.after["name"]) == ("GZ09", admin, "广州市第九鉴定站")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"code": "S001", "name": "重复"}, "已有代码为 S001 的所（站）。"),
        ({"code": "", "name": "无代码"}, "请填写所（站）代码。"),
        ({"code": "NEW1", "name": ""}, "请填写所（站）名称。"),
        ({"code": "X" * 33, "name": "太长"}, "最多 32 个字符。"),
    ],
)
def test_bad_station_input_is_refused_with_a_message_and_nothing_saved(
    app, auth, admin, make_station, data, message
):
    make_station("S001")
    response = post_form(auth, "/admin/stations/new", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert station_codes(app) == {"S001"}
    assert "station.create" not in audit_actions(app)


def test_admin_edits_a_station(app, auth, admin, make_station):
    station_id = make_station("S001", "旧名称")
    response = post_form(auth, f"/admin/stations/{station_id}", {"code": "S001", "name": "新名称"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Station, station_id).name == "新名称"
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="station.update"))
        assert (event.before["name"], event.after["name"]) == ("旧名称", "新名称")


def test_station_cannot_take_another_stations_code(app, auth, admin, make_station):
    make_station("S001")
    second = make_station("S002", "第二站")
    response = post_form(auth, f"/admin/stations/{second}", {"code": "S001", "name": "第二站"})
    assert response.status_code == 422
    assert station_codes(app) == {"S001", "S002"}


def test_admin_deactivates_and_reactivates_a_station(app, auth, admin, make_station):
    station_id = make_station()
    post_form(auth, f"/admin/stations/{station_id}/deactivate")
    with app.app_context():
        assert db.session.get(Station, station_id).active is False
    assert "已停用" in auth.client.get("/admin/stations").get_data(as_text=True)
    post_form(auth, f"/admin/stations/{station_id}/reactivate")
    with app.app_context():
        assert db.session.get(Station, station_id).active is True
    assert audit_actions(app)[-2:] == ["station.deactivate", "station.reactivate"]


def test_station_list_searches_code_or_name_and_pages(app, client, admin):
    with app.app_context():
        db.session.add_all(Station(code=f"BJ{n:03d}", name=f"北京第{n}站") for n in range(1, 31))
        db.session.add(Station(code="SH001", name="上海机电站"))
        db.session.commit()
    first = client.get("/admin/stations").get_data(as_text=True)
    assert "第 1–25 条，共 31 条" in first and "BJ025" in first and "BJ026" not in first
    second = client.get("/admin/stations?page=2").get_data(as_text=True)
    assert "BJ026" in second and "SH001" in second and "BJ001" not in second
    by_name = client.get("/admin/stations?q=机电").get_data(as_text=True)
    assert "SH001" in by_name and "BJ001" not in by_name
    by_code = client.get("/admin/stations?q=bj03").get_data(as_text=True)
    assert "BJ030" in by_code and "BJ029" not in by_code


def test_station_search_answers_htmx_with_the_list_alone(client, admin, make_station):
    make_station("S001", "测试站")
    response = client.get("/admin/stations?q=S0", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "S001" in body and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" in client.get("/admin/stations?q=S0").get_data(as_text=True)


def upload(auth, filename, content: bytes):
    return post_form(
        auth,
        "/admin/stations/import",
        {"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def confirm_import(auth, preview_html):
    token = re.search(r'name="rows" type="hidden" value="([^"]+)"', preview_html)
    assert token, "the preview has no confirm form"
    return post_form(auth, "/admin/stations/import/confirm", {"rows": token.group(1)})


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_good_csv_is_previewed_then_imported_in_one_step(app, auth, admin):
    csv = "code,name,address,contact\nA001,甲站,甲地址,甲老师\nA002,乙站,,\n".encode()
    preview = upload(auth, "stations.csv", csv)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2 行可以导入" in html and "A002" in html
    assert station_codes(app) == set()
    response = confirm_import(auth, html)
    assert response.status_code == 302
    assert station_codes(app) == {"A001", "A002"}
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="station.import"))
        assert (event.subject, event.after) == ("stations.csv", {"count": 2, "codes": ["A001", "A002"]})
        assert db.session.scalar(db.select(Station).filter_by(code="A001")).contact == "甲老师"


def test_csv_with_chinese_headers_saved_by_excel_as_gbk_is_read(app, auth, admin):
    csv = "代码,名称,地址,联系人\r\nB001,北京站,北京,张老师\r\n".encode("gb18030")
    html = upload(auth, "站点.csv", csv).get_data(as_text=True)
    confirm_import(auth, html)
    with app.app_context():
        assert db.session.scalar(db.select(Station.name).filter_by(code="B001")) == "北京站"


def test_good_xlsx_is_imported(app, auth, admin):
    content = xlsx(
        [["代码", "名称", "地址", "联系人"], [1001, "数字代码站", "某地", None], ["X2", "第二站", None, "李"]]
    )
    html = upload(auth, "stations.xlsx", content).get_data(as_text=True)
    assert "2 行可以导入" in html
    confirm_import(auth, html)
    assert station_codes(app) == {"1001", "X2"}


def test_bad_rows_are_reported_with_reasons_and_not_imported(app, auth, admin, make_station):
    make_station("OLD1", "已有站")
    csv = (
        "code,name\n"
        "G001,好站\n"
        ",无代码站\n"
        "G003,\n"
        f"G004,{'长' * 201}\n"
        "D001,重复一\n"
        "D001,重复二\n"
        "OLD1,已在库中\n"
        "G008,另一个好站\n"
    ).encode()
    preview = upload(auth, "mixed.csv", csv)
    html = preview.get_data(as_text=True)
    assert "2 行可以导入" in html and "6 行被拒绝" in html
    for reason in [
        "第 3 行",
        "缺少代码。",
        "缺少名称。",
        "名称过长（最多 200 个字符）。",
        "代码 D001 在文件中出现了不止一次（第 6, 7 行）。",
        "已有代码为 OLD1 的所（站）。",
    ]:
        assert reason in html
    confirm_import(auth, html)
    assert station_codes(app) == {"OLD1", "G001", "G008"}


def test_import_is_refused_whole_when_a_code_was_taken_after_the_preview(app, auth, admin, make_station):
    html = upload(auth, "s.csv", b"code,name\nN001,one\nN002,two\n").get_data(as_text=True)
    make_station("N002", "meanwhile")
    response = confirm_import(auth, html)
    assert response.status_code == 409
    assert "未导入任何数据" in response.get_data(as_text=True)
    assert station_codes(app) == {"N002"}


def test_import_confirm_with_a_forged_payload_is_refused(app, auth, admin):
    response = post_form(auth, "/admin/stations/import/confirm", {"rows": "forged"})
    assert response.status_code == 400
    assert station_codes(app) == set()


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("stations.pdf", b"%PDF-1.4 ...", "请选择 CSV 或 XLSX 文件"),
        ("stations.xlsx", b"code,name\nA,B\n", "无法作为 XLSX 工作簿读取该文件。"),
        ("stations.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "请选择 CSV 或 XLSX 文件"),
        ("stations.csv", b"PK\x03\x04binary", "该文件不是 CSV 文本文件"),
        ("stations.csv", b"station,title\nA,B\n", "第一行须为列名"),
        ("stations.csv", b"code,name\n", "文件的列名行下面没有所（站）数据。"),
        ("stations.csv", b"", "文件是空的。"),
    ],
)
def test_unreadable_files_get_a_clear_error(app, auth, admin, filename, content, message):
    response = upload(auth, filename, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert station_codes(app) == set()


def test_import_without_a_file_asks_for_one(auth, admin):
    response = post_form(auth, "/admin/stations/import", content_type="multipart/form-data")
    assert response.status_code == 422
    assert "请选择要导入的文件。" in response.get_data(as_text=True)


def user_data(**fields):
    return {
        "username": "newbie",
        "display_name": "新人",
        "role": "assessor",
        "password": "long enough",
        **fields,
    }


@pytest.mark.parametrize("role, station_code", [("assessor", ""), ("admin", ""), ("staff", "S001")])
def test_admin_creates_users_of_each_role(app, auth, admin, make_station, role, station_code):
    station_id = make_station("S001")
    response = post_form(auth, "/admin/users/new", user_data(role=role, station_code=station_code))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="newbie"))
        assert (user.role, user.station_id) == (role, station_id if role == "staff" else None)
        assert user.check_password("long enough")
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="user.create"))
        assert event.after["role"] == role and "password" not in str(event.after)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"role": "staff", "station_code": ""}, "所（站）工作人员须填写所属所（站）的代码。"),
        ({"role": "staff", "station_code": "NOPE"}, "没有代码为 NOPE 的所（站）。"),
        ({"password": "short"}, "密码至少需要 8 个字符。"),
        ({"username": "boss"}, "该用户名已被使用。"),
        ({"username": "has space"}, "只能使用字母、数字、点、连字符或下划线。"),
    ],
)
def test_bad_user_input_is_refused_and_nothing_saved(app, auth, admin, make_station, fields, message):
    make_station("S001")
    response = post_form(auth, "/admin/users/new", user_data(**fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda s: people.create("boss", "", "assessor", None, NEW_PASSWORD, actor=None), "username"),
        (lambda s: people.create("has space", "", "assessor", None, NEW_PASSWORD, actor=None), "username"),
        (lambda s: people.create("newbie", "", "staff", None, NEW_PASSWORD, actor=None), "station_code"),
        (lambda s: people.create("newbie", "", "assessor", None, "short", actor=None), "password"),
        (lambda s: people.station_for("staff", "NOPE"), "station_code"),
        (lambda s: stations.create({"code": "S001", "name": "重复"}, None), "code"),
        (lambda s: stations.update(s, {"code": "S001", "name": "第二站"}, None), "code"),
    ],
)
def test_the_services_refuse_what_the_admin_forms_refuse(app, admin, make_station, call, field):
    """The CLI and the pages call the same services, so the rules live there, not in the forms."""
    make_station("S001")
    second = make_station("S002", "第二站")
    with app.test_request_context():
        with pytest.raises(Refused) as refused:
            call(db.session.get(Station, second))
        assert (refused.value.status, refused.value.details["field"]) == (422, field)
        db.session.rollback()
        assert station_codes(app) == {"S001", "S002"}
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


def test_password_reset_makes_the_old_one_fail_and_the_new_one_work(app, client, auth, admin, make_user):
    user_id = make_user("forgetful")
    response = post_form(auth, f"/admin/users/{user_id}/password", {"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "user.password_reset" in audit_actions(app)
    auth.logout()
    assert auth.login("forgetful", TEST_PASSWORD).status_code == 401
    assert auth.login("forgetful", NEW_PASSWORD).status_code == 302


def test_short_password_reset_is_refused_and_the_old_one_still_works(auth, admin, make_user):
    user_id = make_user("forgetful")
    response = post_form(auth, f"/admin/users/{user_id}/password", {"password": "short"})
    assert response.status_code == 422
    auth.logout()
    assert auth.login("forgetful", TEST_PASSWORD).status_code == 302


def test_deactivated_user_cannot_log_in_and_keeps_their_work(app, auth, admin, make_user, make_station):
    station_id = make_station()
    user_id = make_user("leaver")
    assessment_id, _ = finish_assessment(app, station_id, "leaver")
    response = post_form(auth, f"/admin/users/{user_id}/deactivate")
    assert response.status_code == 302
    listing = auth.client.get("/admin/assessments").get_data(as_text=True)
    assert "Leaver" in listing
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment.lead_assessor_id == user_id
        assert {f.updated_by_id for f in db.session.scalars(db.select(Finding))} == {user_id}
    assert "user.deactivate" in audit_actions(app)
    auth.logout()
    assert auth.login("leaver").status_code == 401


def test_deactivation_ends_a_session_that_is_already_logged_in(app, client, make_user):
    from tests.conftest import Auth

    make_user("boss", role="admin")
    user_id = make_user("leaver")
    leaver = Auth(app.test_client())
    leaver.login("leaver")
    assert leaver.client.get("/assess/").status_code == 200
    boss = Auth(client)
    boss.login("boss")
    post_form(boss, f"/admin/users/{user_id}/deactivate")
    assert leaver.client.get("/assess/").status_code == 302


def test_admin_cannot_deactivate_themselves(app, auth, admin):
    response = post_form(auth, f"/admin/users/{admin}/deactivate")
    assert response.status_code == 422
    assert "不能停用自己的账号。" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin).active is True


def test_admin_reactivates_a_user(app, auth, admin, make_user):
    user_id = make_user("back", active=False)
    post_form(auth, f"/admin/users/{user_id}/reactivate")
    auth.logout()
    assert auth.login("back").status_code == 302


def test_admin_edits_a_user_into_station_staff(app, auth, admin, make_user, make_station):
    station_id = make_station("S001")
    user_id = make_user("mover")
    response = post_form(
        auth, f"/admin/users/{user_id}", {"display_name": "调岗", "role": "staff", "station_code": "S001"}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.role, user.station_id, user.display_name) == ("staff", station_id, "调岗")
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="user.update"))
        assert (event.before["role"], event.after["station"]) == ("assessor", "S001")


def test_admin_cannot_change_their_own_role(app, auth, admin):
    response = post_form(auth, f"/admin/users/{admin}", {"display_name": "x", "role": "assessor"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(User, admin).role == "admin"


def test_user_list_filters_by_role(client, admin, make_user, make_station):
    make_user("walker")
    make_user("clerk", role="staff", station_id=make_station())
    html = client.get("/admin/users?role=staff").get_data(as_text=True)
    assert "clerk" in html and "walker" not in html


@pytest.fixture
def three_assessments(app, make_user, make_station):
    """North finalized early in 2026 by ann, south finalized by bob, east in progress by ann."""
    make_user("ann")
    make_user("bob")
    north, south, east = make_station("N1", "北站"), make_station("S1", "南站"), make_station("E1", "东站")
    first, _ = finish_assessment(app, north, "ann", finalized_at=datetime(2026, 1, 10))
    second, _ = finish_assessment(app, south, "bob")
    with app.app_context():
        ann = db.session.scalar(db.select(User).filter_by(username="ann"))
        in_progress = assessments.start_assessment(db.session.get(Station, east), ann)
        in_progress.started_at = datetime(2025, 6, 1)
        db.session.commit()
        third = in_progress.id
        bob_id = db.session.scalar(db.select(User.id).filter_by(username="bob"))
    return {"north": first, "south": second, "east": third, "bob": bob_id}


def listed_ids(client, query) -> set[int]:
    html = client.get(f"/admin/assessments?{query}").get_data(as_text=True)
    return {int(n) for n in re.findall(r'href="/admin/assessments/(\d+)"', html)}


def test_assessment_list_filters_by_station_status_assessor_and_dates(client, admin, three_assessments):
    ids = three_assessments
    assert listed_ids(client, "") == {ids["north"], ids["south"], ids["east"]}
    assert listed_ids(client, "station=北站") == {ids["north"]}
    assert listed_ids(client, "station=e1") == {ids["east"]}
    assert listed_ids(client, "status=in_progress") == {ids["east"]}
    assert listed_ids(client, "status=finalized") == {ids["north"], ids["south"]}
    assert listed_ids(client, f"assessor={ids['bob']}") == {ids["south"]}
    assert listed_ids(client, "end=2025-12-31") == {ids["east"]}
    assert listed_ids(client, "start=2025-06-01&end=2025-06-01") == {ids["east"]}


def test_assessment_list_reports_a_bad_date_filter(client, admin, three_assessments):
    html = client.get("/admin/assessments?start=2026-02-30").get_data(as_text=True)
    assert "不是有效的日期值" in html


def test_admin_reopens_a_finalized_assessment_with_a_reason(app, auth, admin, three_assessments):
    assessment_id = three_assessments["south"]
    response = post_form(auth, f"/admin/assessments/{assessment_id}/reopen", {"reason": "总分有误，需复核"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "in_progress"
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="assessment.reopen"))
        assert (event.reason, event.user_id) == ("总分有误，需复核", admin)
    html = auth.client.get(f"/admin/assessments/{assessment_id}").get_data(as_text=True)
    assert "重新开启评估" in html and "总分有误，需复核" in html


def test_reopen_without_a_reason_is_refused_and_changes_nothing(app, auth, admin, three_assessments):
    assessment_id = three_assessments["south"]
    response = post_form(auth, f"/admin/assessments/{assessment_id}/reopen", {"reason": "   "})
    assert response.status_code == 422
    assert "请填写重新开启的理由。" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "finalized"


def test_reopen_of_an_assessment_in_progress_is_a_conflict(auth, admin, three_assessments):
    response = post_form(auth, f"/admin/assessments/{three_assessments['east']}/reopen", {"reason": "x"})
    assert response.status_code == 409


def test_timeline_shows_who_changed_which_item_from_what_to_what(app, auth, admin, make_user, make_station):
    make_user("ann")
    station_id = make_station()
    with app.app_context():
        ann = db.session.scalar(db.select(User).filter_by(username="ann"))
        assessment = assessments.start_assessment(db.session.get(Station, station_id), ann)
        assessments.record_finding(assessment, "1.1.1", outcome="full", inputs=None, note="", user=ann)
        assessments.record_finding(
            assessment, "1.1.1", outcome="zero", inputs=None, note="职责不清", user=ann
        )
        db.session.commit()
        assessment_id = assessment.id
    html = auth.client.get(f"/admin/assessments/{assessment_id}").get_data(as_text=True)
    assert "记录评估结果" in html and "开始评估" in html
    assert "1.1.1 所(站)长岗位职责明确" in html
    change = re.search(
        r'<span class="before">([^<]*)</span>.*?<span class="after">([^<]*)</span>', html, re.S
    )
    assert change.groups() == ("职责明确且未发现问题（2 分）", "发现问题（0 分）")
    assert "职责不清" in html and "Ann" in html


@pytest.fixture
def national(app, make_user, make_station):
    """Three stations assessed this year, one only two years ago, one never."""
    make_user("ann")
    stations = {code: make_station(code, f"{code} 站") for code in ("A", "B", "C", "OLD", "NEVER")}
    now = utcnow()
    # A: 100 then 96 (loses 1.1.1 and 1.2.1); B: 95 (loses 1.1.1, and 3 on 9.1.2 partial);
    # C: 55 (loses 45 points, 1.1.1 and 9.1.2 among them); OLD: 80, two years ago.
    finish_assessment(app, stations["A"], "ann", finalized_at=now - timedelta(days=100))
    finish_assessment(
        app, stations["A"], "ann", lost=("1.1.1", "1.2.1"), finalized_at=now - timedelta(days=10)
    )
    finish_assessment(app, stations["B"], "ann", lost=("1.1.1",), outcomes={"9.1.2": "partial"})
    heavy = (
        "1.1.1",
        "1.2.1",
        "1.3.1",
        "1.4.1",
        "3.1.1",
        "3.2.1",
        "3.3.1",
        "3.4.1",
        "3.6.1",
        "4.2.1",
        "6.1.1",
        "6.2.1",
        "6.2.2",
        "6.3.2",
        "9.1.1",
        "9.1.2",
        "6.2.3",
        "6.2.4",
        "5.3.1",
    )
    _, c_score = finish_assessment(app, stations["C"], "ann", lost=heavy)
    finish_assessment(app, stations["OLD"], "ann", lost=heavy[:10], finalized_at=now - timedelta(days=730))
    return {"C": c_score}


def test_dashboard_counts_histogram_latest_totals_and_top_items(app, national):
    assert national["C"] == 100 - 45
    with app.test_request_context():
        period = dashboard.Period.last_twelve_months()
        summary = dashboard.summary(period)
        spread = dashboard.spread(period)
        assert (spread.stations, summary["assessments_finalized"], spread.average) == (3, 4, 82.0)
        assert [(b.label, b.count) for b in spread.buckets] == [
            ("<60", 1),
            ("60-69", 0),
            ("70-79", 0),
            ("80-89", 0),
            ("90-100", 2),
        ]
        rows = dashboard.station_totals(period, 1).items
        assert [(r.station.code, r.latest, r.trend) for r in rows] == [
            ("C", 55, [55]),
            ("B", 95, [95]),
            ("A", 96, [100, 96]),
        ]
        top = dashboard.top_deductions(period, summary["assessments_finalized"])
        assert [(e.item.id, e.assessments, e.deduction) for e in top[:3]] == [
            ("1.1.1", 3, 6),
            ("9.1.2", 2, 8),
            ("1.2.1", 2, 4),
        ]
        assert top[0].share == 0.75


def test_dashboard_period_includes_older_assessments_when_asked(app, client, national):
    with app.test_request_context():
        today = dashboard.Period.last_twelve_months().end
        period = dashboard.Period(today - timedelta(days=800), today)
        assert dashboard.spread(period).stations == 4


def test_dashboard_page_shows_the_numbers_in_tables_beside_the_charts(client, admin, national):
    html = client.get("/admin/").get_data(as_text=True)
    histogram = re.search(
        r'<table class="data numbers" id="histogram-table">(.*?)</table>', html, re.S
    ).group(1)
    cells = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td>(\d+)</td>", histogram)
    assert cells == [("&lt;60", "1"), ("60-69", "0"), ("70-79", "0"), ("80-89", "0"), ("90-100", "2")]
    assert '<svg class="chart-svg"' in html and "<title" in html
    assert "所(站)长岗位职责明确" in html
    assert re.search(r'<span class="number">3</span><span class="caption">本时段内评估过的所（站）', html)
    assert '<span class="badge zero">55</span>' in html and '<span class="badge full">95</span>' in html


@pytest.mark.parametrize(
    "latest, standing", [(0, "low"), (59, "low"), (60, ""), (89, ""), (90, "high"), (100, "high")]
)
def test_a_latest_total_stands_low_below_60_and_high_from_90(latest, standing):
    assert dashboard.StationTotals(None, latest, None).standing == standing


def test_dashboard_refuses_a_period_that_ends_before_it_starts(client, admin, national):
    response = client.get("/admin/?start=2026-05-01&end=2026-01-01")
    assert response.status_code == 200
    assert "结束日期早于开始日期。" in response.get_data(as_text=True)


def test_dashboard_station_table_pages_over_htmx(app, client, admin, make_user, make_station):
    make_user("ann")
    station_id = make_station("ONLY", "唯一站")
    finish_assessment(app, station_id, "ann")
    response = client.get("/admin/?page=1&order=code", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "唯一站" in body and "<html" not in body and "polyline" in body
    assert "HX-Request" in response.headers["Vary"]


def test_admin_pages_have_a_csrf_token_for_their_forms(client, admin, make_station):
    station_id = make_station()
    assert csrf_token_from(client.get(f"/admin/stations/{station_id}").get_data(as_text=True))


def test_station_search_takes_percent_and_underscore_literally(client, admin, make_station):
    make_station("P_1", "达标率100%的站")
    make_station("P21", "其他站")
    html = client.get("/admin/stations?q=%25").get_data(as_text=True)
    assert "P_1" in html and "P21" not in html
    html = client.get("/admin/stations?q=P_").get_data(as_text=True)
    assert "P_1" in html and "P21" not in html
