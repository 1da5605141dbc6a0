"""Whatever a hostile client sends gets a clear 4xx and changes nothing; never a 500."""

import base64
import io
import json
import struct
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from app.extensions import db
from app.models import RECTIFICATION, Photo
from tests.conftest import Auth
from tests.report_fixtures import demo_data, log_in  # noqa: F401

HUGE_ID = 10**30
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011


def jpeg(exif=None, icc_profile=None) -> bytes:
    out = io.BytesIO()
    options = {"quality": 90}
    if exif is not None:
        options["exif"] = exif
    if icc_profile is not None:
        options["icc_profile"] = icc_profile
    Image.new("RGB", (320, 240), (200, 120, 40)).save(out, format="JPEG", **options)
    return out.getvalue()


def upload(auth, assessment_id, data, item_id="5.3.1", **fields):
    return auth.client.post(
        f"/api/assessments/{assessment_id}/findings/{item_id}/photos",
        data={"photo": (io.BytesIO(data), "p.jpg"), **fields},
        headers=auth.headers(),
        content_type="multipart/form-data",
    )


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "taken_at", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-14:00"]
)
def test_taken_at_at_the_ends_of_the_calendar_is_refused_without_storing_files(
    app, assessor, assessment_id, taken_at
):
    response = upload(assessor, assessment_id, jpeg(), taken_at=taken_at)
    assert response.status_code == 422
    assert response.get_json()["field"] == "taken_at"
    assert stored_files(app) == []


@pytest.mark.parametrize(
    "taken, offset", [("0001:01:01 00:00:00", "+14:00"), ("9999:12:31 23:59:59", "-14:00")]
)
def test_exif_capture_time_at_the_ends_of_the_calendar_is_ignored(
    app, assessor, assessment_id, taken, offset
):
    exif = Image.Exif()
    exif_ifd = exif.get_ifd(EXIF_IFD)
    exif_ifd[DATETIME_ORIGINAL] = taken
    exif_ifd[OFFSET_TIME_ORIGINAL] = offset
    response = upload(assessor, assessment_id, jpeg(exif=exif))
    assert response.status_code == 201
    assert response.get_json()["taken_at"] is None


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", f"/api/assessments/{HUGE_ID}"),
        ("get", f"/assess/{HUGE_ID}/"),
        ("get", f"/photos/{HUGE_ID}/image"),
        ("get", f"/reports/assessments/{HUGE_ID}"),
        ("patch", f"/api/photos/{HUGE_ID}"),
        ("delete", f"/api/photos/{HUGE_ID}"),
    ],
)
def test_ids_too_large_for_the_database_match_no_route(assessor, method, url):
    response = getattr(assessor.client, method)(url, headers=assessor.headers())
    assert response.status_code in (404, 405)


def test_station_id_too_large_for_the_database_is_refused(assessor):
    response = assessor.post_json("/api/assessments", {"station_id": HUGE_ID})
    assert response.status_code == 422


def test_marked_up_from_too_large_for_the_database_is_refused(assessor, assessment_id):
    response = upload(assessor, assessment_id, jpeg(), marked_up_from=str(HUGE_ID))
    assert response.status_code == 422


def test_deeply_nested_json_body_is_refused(assessor, assessment_id):
    body = "[" * 100_000 + "]" * 100_000
    response = assessor.client.put(
        f"/api/assessments/{assessment_id}/findings/1.1.1",
        data=body,
        headers={**assessor.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_photo_with_a_large_html_icc_profile_is_stored_in_srgb_without_it(app, assessor, assessment_id):
    profile = b"<html><script>alert(1)</script>" + b"x" * (1024 * 1024)
    response = upload(assessor, assessment_id, jpeg(icc_profile=profile))
    assert response.status_code == 201
    for path in stored_files(app):
        data = path.read_bytes()
        assert b"<script>" not in data and b"ICC_PROFILE" not in data
        assert Image.open(path).info.get("icc_profile") is None


def test_photo_with_a_real_icc_profile_keeps_its_colours_without_the_profile(app, assessor, assessment_id):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    response = upload(assessor, assessment_id, jpeg(icc_profile=srgb))
    assert response.status_code == 201
    stored = Image.open(stored_files(app)[0])
    assert stored.info.get("icc_profile") is None
    red, green, blue = stored.convert("RGB").getpixel((10, 10))
    assert abs(red - 200) < 12 and abs(green - 120) < 12 and abs(blue - 40) < 12


def signature_png(width, height) -> str:
    """A small PNG whose header (with a valid checksum) claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_signature_claiming_30000_by_30000_pixels_is_refused(app, client, auth, demo):
    from tests.report_fixtures import complete_assessment

    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = auth.post_json(
        f"/api/assessments/{assessment_id}/finalize",
        {"signatures": {"lead_assessor": {"name": "王建国", "image": signature_png(30000, 30000)}}},
    )
    assert response.status_code == 422
    assert response.get_json()["field"] == "signatures.lead_assessor.image"


def rectification_photo_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Photo.id).filter_by(purpose=RECTIFICATION))


def reopen(app, demo):
    admin = Auth(app.test_client())
    log_in(admin, "admin")
    response = admin.client.post(
        f"/admin/assessments/{demo.finalized}/reopen", data={"csrf_token": admin.token, "reason": "复核"}
    )
    assert response.status_code in (302, 303)


def test_assessor_cannot_delete_a_rectification_photo_after_a_reopen(app, client, auth, demo):
    reopen(app, demo)
    log_in(auth, "assessor1")
    photo_id = rectification_photo_id(app)
    response = client.delete(f"/api/photos/{photo_id}", headers=auth.headers())
    assert response.status_code == 403
    assert rectification_photo_id(app) == photo_id


def test_assessor_cannot_recaption_a_rectification_photo_after_a_reopen(app, client, auth, demo):
    reopen(app, demo)
    log_in(auth, "assessor1")
    photo_id = rectification_photo_id(app)
    response = client.patch(f"/api/photos/{photo_id}", json={"caption": "改了"}, headers=auth.headers())
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Photo, photo_id).caption != "改了"


def pdf_filename_station(app, demo, code):
    from app.models import Assessment

    with app.app_context():
        db.session.get(Assessment, demo.finalized).station.code = code
        db.session.commit()


@pytest.mark.parametrize("code", ["京A01", 'A"01'])
def test_pdf_download_name_survives_chinese_and_quotes(app, client, auth, demo, code):
    pdf_filename_station(app, demo, code)
    log_in(auth, "staff1")
    response = client.get(f"/reports/assessments/{demo.finalized}.pdf")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert header.isascii()
    assert header.startswith('attachment; filename="report-')
    assert header.count('"') == 2
    assert "filename*=UTF-8''report-" in header
    if code == "京A01":
        assert "%E4%BA%ACA01" in header


def dimension_bomb_xlsx() -> bytes:
    """A 2 KB workbook whose sheet claims the whole 16384-column by 1048576-row grid."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>B01</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>站</t></is></c>'
        '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return xlsx_with_sheet(sheet)


def xlsx_with_sheet(sheet: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


@pytest.fixture
def admin(app, make_user):
    make_user("boss", role="admin")
    admin = Auth(app.test_client())
    admin.login("boss")
    admin.fetch_token()
    return admin


def import_stations(admin, content: bytes, name="stations.xlsx"):
    return admin.client.post(
        "/admin/stations/import",
        data={"csrf_token": admin.token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_xlsx_claiming_the_whole_grid_reads_only_the_used_columns(admin):
    content = dimension_bomb_xlsx()
    assert len(content) < 2048
    response = import_stations(admin, content)
    assert response.status_code == 422
    assert "行" in response.get_data(as_text=True)


def test_xlsx_with_a_doctype_is_refused_with_a_clear_message(admin):
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
    )
    response = import_stations(admin, xlsx_with_sheet(sheet))
    assert response.status_code == 422
    assert "DOCTYPE" in response.get_data(as_text=True)


def outbox_file(entries, exported_by="assessor") -> bytes:
    return json.dumps(
        {"format": "assessment-outbox", "version": 1, "exported_by": exported_by, "entries": entries}
    ).encode()


def finding_entry(assessment_id, item_id="1.1.1", seq=1, **payload):
    return {
        "seq": seq,
        "kind": "finding",
        "mutation_id": str(uuid.uuid4()),
        "assessment_id": assessment_id,
        "item_id": item_id,
        "payload": {"outcome": "full", "note": "", **payload},
    }


def import_outbox(admin, content: bytes):
    return admin.client.post(
        "/admin/outbox-import",
        data={"csrf_token": admin.token, "file": (io.BytesIO(content), "outbox.json")},
        content_type="multipart/form-data",
    )


def test_outbox_file_with_mixed_seq_types_is_imported(admin, assessment_id):
    entries = [
        finding_entry(assessment_id, "1.1.1", seq=2),
        finding_entry(assessment_id, "1.2.1", seq="1"),
        finding_entry(assessment_id, "1.3.1", seq=None),
    ]
    response = import_outbox(admin, outbox_file(entries))
    assert response.status_code == 200
    assert "3 条已应用" in response.get_data(as_text=True)


def test_outbox_file_nested_too_deeply_is_refused(admin):
    response = import_outbox(admin, b'{"format": "assessment-outbox", "entries": ' + b"[" * 100_000)
    assert response.status_code == 422


def test_one_bad_entry_among_good_ones_gets_its_own_result(app, admin, assessment_id):
    photo = {
        **finding_entry(assessment_id, "5.3.1", seq=2),
        "kind": "photo",
        "blob": "data:image/jpeg;base64," + base64.b64encode(jpeg()).decode(),
        "payload": {"caption": 12345},
    }
    entries = [
        finding_entry(assessment_id, "1.1.1", seq=1),
        photo,
        finding_entry(assessment_id, "1.2.1", seq=3, note=["not", "text"]),
        {**finding_entry(assessment_id, "1.3.1", seq=4), "payload": "nonsense"},
        {**finding_entry(assessment_id, "1.4.1", seq=5), "assessment_id": HUGE_ID},
        finding_entry(assessment_id, "1.5.1", seq=6),
    ]
    response = import_outbox(admin, outbox_file(entries))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 条已应用" in page
    assert "4 条被拒绝" in page


def test_outbox_import_applies_a_bounded_number_of_entries_per_request(
    app, admin, assessment_id, monkeypatch
):
    from app.services import outbox_import

    monkeypatch.setattr(outbox_import, "MAX_APPLIED_PER_IMPORT", 2)
    entries = [
        finding_entry(assessment_id, item, seq=n) for n, item in enumerate(["1.1.1", "1.2.1", "1.3.1"])
    ]
    first = import_outbox(admin, outbox_file(entries)).get_data(as_text=True)
    assert "2 条已应用" in first and "同一文件" in first
    second = import_outbox(admin, outbox_file(entries)).get_data(as_text=True)
    assert "1 条已应用" in second and "2 条已在服务器上" in second


FORM_FIELD_NAMES = ("username", "password", "code", "name", "reason", "rows", "role")
JSON_BODIES = [[1], "x", dict.fromkeys(FORM_FIELD_NAMES, 5)]


def form_routes(app, demo) -> list[tuple[str | None, str]]:
    """Every write route outside the API, as (who posts, url): one row per endpoint."""
    from app.models import Rectification, Region, User

    with app.app_context():
        rectification_id = db.session.scalar(db.select(Rectification.id))
        user_id = db.session.scalar(db.select(User.id).filter_by(username="assessor2"))
        region_id = db.session.scalar(db.select(Region.id).filter_by(code="HN-CS"))
    done, going, station = demo.finalized, demo.in_progress, demo.bj001
    return [
        (None, "/login"),
        ("admin", "/language"),
        ("admin", "/password"),
        ("admin", "/admin/users/new"),
        ("admin", f"/admin/users/{user_id}"),
        ("admin", f"/admin/users/{user_id}/password"),
        ("admin", f"/admin/users/{user_id}/deactivate"),
        ("admin", f"/admin/users/{user_id}/reactivate"),
        ("admin", f"/admin/users/{user_id}/sessions/end"),
        ("admin", "/admin/stations/new"),
        ("admin", f"/admin/stations/{station}"),
        ("admin", f"/admin/stations/{station}/deactivate"),
        ("admin", f"/admin/stations/{station}/reactivate"),
        ("admin", "/admin/stations/import"),
        ("admin", "/admin/stations/import/confirm"),
        ("admin", f"/admin/stations/{station}/assign"),
        ("admin", f"/admin/stations/{station}/assignments/{user_id}/remove"),
        ("admin", "/admin/regions/new"),
        ("admin", f"/admin/regions/{region_id}"),
        ("admin", "/admin/regions/import"),
        ("admin", "/admin/regions/import/confirm"),
        ("admin", "/admin/outbox-import"),
        ("admin", f"/admin/assessments/{done}/reopen"),
        ("admin", "/assess/start"),
        ("admin", f"/assess/{going}/items/1.1.1"),
        ("admin", f"/assess/{going}/summary"),
        ("admin", f"/assess/{going}/review"),
        ("admin", f"/assess/{going}/finalize"),
        ("admin", f"/assess/{done}/shares"),
        ("admin", f"/assess/{done}/shares/1/revoke"),
        ("admin", f"/photos/assessments/{going}/items/1.1.1"),
        ("admin", f"/photos/assessments/{going}/items/1.1.1/no-photo-reason"),
        ("admin", f"/photos/{demo.photo}/delete"),
        ("staff1", f"/station/assessments/{done}/items/5.3.1/rectification"),
        ("staff1", f"/station/assessments/{done}/items/5.3.1/rectification/photos"),
        ("assessor1", f"/station/rectifications/{rectification_id}/review"),
        ("admin", "/plans/new"),
        ("admin", "/plans/1/draw"),
        ("admin", "/plans/1/publish"),
        ("admin", "/plans/1/withdraw"),
        ("admin", "/plans/flags"),
        ("admin", f"/plans/flags/{station}/remove"),
        ("assessor1", "/plans/conflicts"),
        ("assessor1", "/plans/visits/1/start"),
        (None, "/v/AAAA-BBBB-CCCC"),
        ("admin", "/admin/forms"),
        ("admin", "/admin/forms.json"),
        ("admin", "/admin/forms/1/test-walk"),
        ("admin", "/admin/forms/1/publish"),
        ("admin", "/admin/forms/1/use"),
        ("admin", "/admin/forms/1/discard"),
        ("admin", "/logout"),
    ]


def test_the_json_body_test_covers_every_form_route(app, demo):
    covered = {app.url_map.bind("localhost").match(url, "POST")[0] for _, url in form_routes(app, demo)}
    writes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"} and not rule.rule.startswith("/api/")
    }
    assert covered == writes


@pytest.mark.parametrize("body", JSON_BODIES, ids=["list", "string", "object-of-numbers"])
def test_a_json_body_sent_to_a_form_route_is_read_as_an_empty_form_never_a_500(app, demo, body):
    failures = []
    for username, url in form_routes(app, demo):
        auth = Auth(app.test_client())
        if username:
            log_in(auth, username)
        response = auth.client.post(url, json=body, headers=auth.headers())
        if response.status_code >= 500:
            failures.append((url, response.status_code))
    assert failures == []


def test_a_json_login_is_refused_as_an_empty_form(client, auth, make_user):
    make_user("wang")
    response = client.post("/login", json={"username": "wang", "password": 5}, headers=auth.headers())
    assert response.status_code == 422
    assert client.get("/api/me").status_code == 401


def test_every_form_reads_only_what_a_browser_form_sends(app):
    from flask_wtf import FlaskForm

    from app.web.forms import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    assert [cls for cls in subclasses(FlaskForm) if not issubclass(cls, Form) and cls is not Form] == []


@pytest.mark.parametrize(
    "url",
    [
        "/admin/?start=0001-01-01",
        "/admin/?end=9999-12-31",
        "/admin/assessments?start=0001-01-01&end=9999-12-31",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_with_a_clear_message(admin, url):
    response = admin.client.get(url)
    assert response.status_code == 200
    assert "请输入 2000 年至 2199 年之间的日期" in response.get_data(as_text=True)


@pytest.mark.parametrize("export", ["results.csv", "results.xlsx"])
def test_an_export_whose_filters_are_refused_says_why_instead_of_exporting_everything(admin, export):
    response = admin.client.get(f"/reports/{export}?start=0001-01-01&end=9999-12-31")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "开始日期起：请输入 2000 年至 2199 年之间的日期。" in response.get_data(as_text=True)


SHEET = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}'


@pytest.mark.parametrize(
    "sheet",
    [
        SHEET.format('<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c>'),
        SHEET.format('<sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>'),
    ],
    ids=["unclosed-xml", "shared-string-past-the-table"],
)
def test_a_damaged_xlsx_sheet_is_refused_with_a_clear_message(admin, sheet):
    response = import_stations(admin, xlsx_with_sheet(sheet))
    assert response.status_code == 422
    assert "无法作为 XLSX 工作簿读取" in response.get_data(as_text=True)
