"""An administrator applies a phone's exported outbox file, each entry exactly once."""

import base64
import io
import json
import re
import uuid

import pytest
from PIL import Image

from app.extensions import db
from app.models import AuditEvent, Finding, Photo, User
from tests.conftest import Auth
from tests.report_fixtures import demo_data, log_in  # noqa: F401


@pytest.fixture
def wang(app, make_user):
    make_user("wang")
    auth = Auth(app.test_client())
    auth.login("wang")
    return auth


@pytest.fixture
def assessment_id(app, make_station, wang):
    return wang.post_json("/api/assessments", {"station_id": make_station()}).get_json()["id"]


def author_token(auth, page_url="/assess/") -> str:
    """What the phone reads from the page's meta tag and keeps with each entry it queues."""
    page = auth.client.get(page_url).get_data(as_text=True)
    match = re.search(r'<meta name="outbox-author" content="([^"]+)"', page)
    assert match, "the page has no outbox-author meta tag"
    return match.group(1)


def updated_by(app, item_id="1.1.1") -> str:
    with app.app_context():
        return db.session.scalar(db.select(Finding).filter_by(item_id=item_id)).updated_by.username


@pytest.fixture
def admin(app, make_user):
    make_user("boss", role="admin")
    auth = Auth(app.test_client())
    auth.login("boss")
    return auth


def jpeg_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 90, 60)).save(buffer, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def export_file(entries, exported_by="wang") -> bytes:
    return json.dumps(
        {"format": "assessment-outbox", "version": 1, "exported_by": exported_by, "entries": entries}
    ).encode()


def finding_entry(assessment_id, item_id="1.1.1", seq=1, **payload) -> dict:
    return {
        "seq": seq,
        "kind": "finding",
        "mutation_id": str(uuid.uuid4()),
        "assessment_id": str(assessment_id),
        "item_id": item_id,
        "payload": {"outcome": "zero", "inputs": None, "note": "离线记录", **payload},
    }


def upload(admin, data: bytes, name="outbox.json"):
    return admin.client.post(
        "/admin/outbox-import",
        data={"csrf_token": admin.token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_import_applies_changes_and_photos_attributed_to_the_assessor(app, admin, wang, assessment_id):
    token = author_token(wang)
    photo = {
        **finding_entry(assessment_id, seq=2),
        "kind": "photo",
        "blob": jpeg_data_url(),
        "payload": {"caption": "台账"},
        "author_token": token,
    }
    finding = {**finding_entry(assessment_id), "author_token": token}
    response = upload(admin, export_file([finding, photo]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 条已应用" in page
    with app.app_context():
        finding = db.session.scalar(db.select(Finding).filter_by(item_id="1.1.1"))
        assert (finding.outcome, finding.note, finding.updated_by.username) == ("zero", "离线记录", "wang")
        assert [p.caption for p in db.session.scalars(db.select(Photo))] == ["台账"]
        assert (
            db.session.scalar(db.select(AuditEvent).filter_by(action="outbox.import")).after["applied"] == 2
        )


def test_an_entry_without_proof_is_credited_to_the_importing_admin_whatever_the_file_says(
    app, admin, assessment_id
):
    page = upload(admin, export_file([finding_entry(assessment_id)], exported_by="wang")).get_data(
        as_text=True
    )
    assert updated_by(app) == "boss"
    assert "1 条已应用的记录无法证明由哪位评估员记录" in page
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="outbox.import"))
        assert event.after["credited_to_importer"] == 1
        assert "boss" in event.reason


def test_a_forged_or_foreign_token_credits_the_importing_admin(
    app, admin, wang, assessment_id, make_user, make_station
):
    from app.services import authorship

    forged = author_token(wang)[:-3] + "abc"
    staff_id = make_user("clerk", role="staff", station_id=make_station("S9"))
    with app.test_request_context():
        staff_token = authorship.token_for(db.session.get(User, staff_id))
    entries = [
        {**finding_entry(assessment_id, "1.1.1"), "author_token": forged},
        {**finding_entry(assessment_id, "1.2.1", seq=2), "author_token": staff_token},
    ]
    page = upload(admin, export_file(entries, exported_by="wang")).get_data(as_text=True)
    assert "2 条已应用" in page
    assert updated_by(app, "1.1.1") == "boss"
    assert updated_by(app, "1.2.1") == "boss"


def test_importing_the_same_file_twice_applies_nothing_the_second_time(app, admin, assessment_id):
    data = export_file([finding_entry(assessment_id)])
    upload(admin, data)
    page = upload(admin, data).get_data(as_text=True)
    assert "1 条已在服务器上" in page
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="finding.set").count() == 1


def test_entry_that_already_reached_the_server_through_the_api_is_skipped(
    app, admin, assessment_id, make_user
):
    entry = finding_entry(assessment_id)
    wang = Auth(app.test_client())
    wang.login("wang")
    wang.put_json(
        f"/api/assessments/{assessment_id}/findings/1.1.1",
        {**entry["payload"], "mutation_id": entry["mutation_id"]},
    )
    assert "1 条已在服务器上" in upload(admin, export_file([entry])).get_data(as_text=True)


def test_refused_entries_are_reported_and_the_good_ones_still_applied(app, admin, assessment_id):
    bad = finding_entry(assessment_id, "1.2.1", seq=2, outcome="half")
    unknown = finding_entry(999, seq=3)
    page = upload(admin, export_file([finding_entry(assessment_id), bad, unknown])).get_data(as_text=True)
    assert "1 条已应用" in page and "2 条被拒绝" in page
    assert "请选择该小项的一个评估结果" in page
    with app.app_context():
        assert [f.item_id for f in db.session.scalars(db.select(Finding))] == ["1.1.1"]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"not json", "不是 JSON"),
        (b'{"format": "other"}', "不是本应用导出的文件"),
        (b'{"format": "assessment-outbox"}', "没有条目"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_with_a_clear_message(admin, data, message):
    response = upload(admin, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_only_admins_import(app, client, auth, make_user):
    make_user("wang2")
    auth.login("wang2")
    assert upload(auth, export_file([])).status_code == 403


def test_no_photo_reasons_and_captions_kept_on_a_phone_are_imported_once(app, admin, assessment_id):
    photo = {**finding_entry(assessment_id, seq=2), "kind": "photo", "blob": jpeg_data_url(), "payload": {}}
    reason = {
        **finding_entry(assessment_id, seq=3),
        "kind": "no_photo_reason",
        "payload": {"no_photo_reason": "考场禁止拍照"},
    }
    upload(admin, export_file([finding_entry(assessment_id), photo, reason]))
    with app.app_context():
        photo_id = db.session.scalar(db.select(Photo.id))
    caption = {
        **finding_entry(assessment_id, seq=4),
        "kind": "caption",
        "payload": {"caption": "消防通道", "photo_id": photo_id},
    }
    data = export_file([caption])
    upload(admin, data)
    page = upload(admin, data).get_data(as_text=True)
    assert "1 条已在服务器上" in page
    with app.app_context():
        finding = db.session.scalar(db.select(Finding).filter_by(item_id="1.1.1"))
        assert finding.no_photo_reason == "考场禁止拍照"
        assert [p.caption for p in finding.photos] == ["消防通道"]
        assert db.session.query(AuditEvent).filter_by(action="photo.caption").count() == 1


def test_a_signature_kept_on_a_phone_is_imported_with_its_author(app, admin, wang, assessment_id):
    from app.models import Signature
    from tests.report_fixtures import png_data_url

    signature = {
        **finding_entry(assessment_id),
        "kind": "signature",
        "item_id": None,
        "payload": {"role": "station_representative", "name": "刘主任", "image": png_data_url()},
        "author_token": author_token(wang),
    }
    page = upload(admin, export_file([signature])).get_data(as_text=True)
    assert "1 条已应用" in page
    with app.app_context():
        kept = db.session.scalar(db.select(Signature))
        assert (kept.name, kept.recorded_by.username) == ("刘主任", "wang")


def test_a_deactivated_assessors_token_credits_the_importing_admin(app, admin, wang, assessment_id):
    entry = {**finding_entry(assessment_id), "author_token": author_token(wang)}
    with app.app_context():
        db.session.scalar(db.select(User).filter_by(username="wang")).active = False
        db.session.commit()
    page = upload(admin, export_file([entry])).get_data(as_text=True)
    assert "1 条已应用" in page
    assert updated_by(app) == "boss"


def stored_files(app) -> list:
    from pathlib import Path

    return sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.query(AuditEvent).filter_by(action=action).count()


def photo_entry(assessment_id, seq=2, **payload) -> dict:
    return {
        **finding_entry(assessment_id, "5.3.1", seq=seq),
        "kind": "photo",
        "blob": jpeg_data_url(),
        "payload": {"caption": "台账", "taken_at": None, **payload},
    }


def send_online(wang, entry) -> tuple[int, dict]:
    """The entry as the phone's sync engine sends it (app/static/js/offline/sync.js)."""
    fields = {**entry["payload"], "mutation_id": entry["mutation_id"], "author": None}
    assessment_id, item_id, kind = entry["assessment_id"], entry["item_id"], entry["kind"]
    client, headers = wang.client, {**wang.headers(), "Accept": "application/json"}
    if kind == "photo":
        blob = base64.b64decode(entry["blob"].split(",", 1)[1])
        form = {k: v for k, v in fields.items() if v not in (None, "")}
        response = client.post(
            f"/api/assessments/{assessment_id}/findings/{item_id}/photos",
            data={**form, "photo": (io.BytesIO(blob), "photo.jpg")},
            headers=headers,
            content_type="multipart/form-data",
        )
    elif kind == "caption":
        fields.pop("photo_id")
        response = client.patch(f"/api/photos/{entry['payload']['photo_id']}", json=fields, headers=headers)
    elif kind == "no_photo_reason":
        form = {k: v for k, v in fields.items() if v is not None}
        response = client.post(
            f"/photos/assessments/{assessment_id}/items/{item_id}/no-photo-reason", data=form, headers=headers
        )
    else:
        role = entry["payload"]["role"]
        response = client.put(
            f"/api/assessments/{assessment_id}/signatures/{role}", json=fields, headers=headers
        )
    return response.status_code, response.get_json()


def entries_of_every_kind(app, wang, assessment_id) -> list[tuple[str, dict]]:
    """One entry of each kind a phone keeps, as (the audit action it writes, the entry)."""
    from tests.report_fixtures import png_data_url

    photo_id = wang.client.post(
        f"/api/assessments/{assessment_id}/findings/5.3.1/photos",
        data={"photo": (io.BytesIO(base64.b64decode(jpeg_data_url().split(",", 1)[1])), "p.jpg")},
        headers=wang.headers(),
        content_type="multipart/form-data",
    ).get_json()["id"]
    base = {"assessment_id": assessment_id, "item_id": "5.3.1", "seq": 1}
    return [
        ("photo.add", photo_entry(assessment_id, caption="", marked_up_from=photo_id)),
        (
            "photo.caption",
            {
                **base,
                "kind": "caption",
                "mutation_id": str(uuid.uuid4()),
                "payload": {"caption": "消防通道", "photo_id": photo_id},
            },
        ),
        (
            "finding.no_photo_reason",
            {
                **base,
                "kind": "no_photo_reason",
                "mutation_id": str(uuid.uuid4()),
                "payload": {"no_photo_reason": "考场禁止拍照"},
            },
        ),
        (
            "signature.sign",
            {
                **base,
                "kind": "signature",
                "item_id": None,
                "mutation_id": str(uuid.uuid4()),
                "payload": {"role": "station_representative", "name": "刘主任", "image": png_data_url()},
            },
        ),
    ]


def test_an_entry_sent_online_and_then_imported_from_a_file_is_applied_once(app, admin, wang, assessment_id):
    for action, entry in entries_of_every_kind(app, wang, assessment_id):
        before = audit_count(app, action)
        status, _body = send_online(wang, entry)
        assert status in (200, 201), (entry["kind"], status)
        page = upload(admin, export_file([entry])).get_data(as_text=True)
        assert "1 条已在服务器上" in page, entry["kind"]
        assert audit_count(app, action) == before + 1, entry["kind"]


def test_an_entry_imported_and_then_sent_online_gets_the_imported_answer(app, admin, wang, assessment_id):
    for action, entry in entries_of_every_kind(app, wang, assessment_id):
        before = audit_count(app, action)
        assert "1 条已应用" in upload(admin, export_file([entry])).get_data(as_text=True), entry["kind"]
        status, body = send_online(wang, entry)
        assert status in (200, 201), (entry["kind"], status, body)
        assert audit_count(app, action) == before + 1, entry["kind"]


@pytest.mark.parametrize(
    "change",
    [{"item_id": "9.9.9"}, {"payload": {"caption": "x" * 301}}, {"payload": {"taken_at": "yesterday"}}],
    ids=["unknown-item", "caption-too-long", "taken-at-not-a-time"],
)
def test_a_photo_entry_refused_for_its_fields_writes_no_file(app, admin, assessment_id, change):
    entry = {**photo_entry(assessment_id), **change}
    page = upload(admin, export_file([entry])).get_data(as_text=True)
    assert "1 条被拒绝" in page
    assert stored_files(app) == []


def test_an_import_processes_a_bounded_number_of_photos_and_leaves_the_rest_for_later(
    app, admin, assessment_id, monkeypatch
):
    from app.services import outbox_import

    monkeypatch.setattr(outbox_import, "MAX_PHOTOS_PER_IMPORT", 1)
    entries = [
        finding_entry(assessment_id, seq=1),
        photo_entry(assessment_id, seq=2),
        photo_entry(assessment_id, seq=3, caption="第二张"),
        finding_entry(assessment_id, "1.2.1", seq=4),
    ]
    first = upload(admin, export_file(entries)).get_data(as_text=True)
    assert "2 条已应用" in first and "2 条留待下次导入" in first
    assert "每次导入最多处理 1 张照片" in first
    second = upload(admin, export_file(entries)).get_data(as_text=True)
    assert "2 条已应用" in second and "2 条已在服务器上" in second and "留待下次导入" not in second


@pytest.mark.parametrize("kind", [["photo"], {"kind": "photo"}, 7])
def test_an_entry_whose_kind_is_not_text_is_refused_saying_so(app, admin, assessment_id, kind, caplog):
    page = upload(admin, export_file([{**finding_entry(assessment_id), "kind": kind}])).get_data(as_text=True)
    assert "1 条被拒绝" in page
    assert "字段 kind 的类型不正确" in page
    assert "could not be applied" not in caplog.text


def test_an_entry_of_an_unknown_kind_is_refused_saying_so(app, admin, assessment_id):
    page = upload(admin, export_file([{**finding_entry(assessment_id), "kind": "telepathy"}])).get_data(
        as_text=True
    )
    assert "1 条被拒绝" in page and "telepathy" in page
    with app.app_context():
        assert db.session.query(Finding).count() == 0


def test_a_stations_answer_kept_on_a_phone_is_imported_with_its_photos_and_author(app, admin, demo):
    """The phone exports a station's answer as its photos (sent ahead) and the answer naming them."""
    from app.models import RECTIFICATION, Assessment

    staff = log_in(Auth(app.test_client()), "staff1")
    token = author_token(staff, "/station/")
    photo_id = str(uuid.uuid4())
    base = {"assessment_id": str(demo.finalized), "item_id": "4.1.1", "author_token": token}
    photo = {
        **base,
        "seq": 1,
        "kind": "photo",
        "purpose": "rectification",
        "mutation_id": photo_id,
        "blob": jpeg_data_url(),
        "payload": {"taken_at": "2026-11-20T09:41:05+08:00"},
    }
    answer = {
        **base,
        "seq": 2,
        "kind": "rectification",
        "mutation_id": str(uuid.uuid4()),
        "payload": {"text": "防护罩已装回。", "photos": [photo_id]},
    }
    data = export_file([photo, answer], exported_by="staff1")
    with app.app_context():
        photos_before = db.session.query(Photo).count()
    page = upload(admin, data).get_data(as_text=True)
    assert "2 条已应用" in page, page
    assert "2 条已在服务器上" in upload(admin, data).get_data(as_text=True)
    with app.app_context():
        (rectification,) = db.session.get(Assessment, demo.finalized).finding_for("4.1.1").rectifications
        assert (rectification.text, rectification.answered_by.username) == ("防护罩已装回。", "staff1")
        assert [(p.purpose, p.taken_at.isoformat()) for p in rectification.photos] == [
            (RECTIFICATION, "2026-11-20T01:41:05")
        ]
        assert db.session.query(Photo).count() == photos_before + 1, "no evidence photo, nothing twice"
