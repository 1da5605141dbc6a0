"""Evidence photos through the API and pages: upload, limits, idempotency, access, finalize."""

import io
import json
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from app.extensions import db
from app.models import Assessment, AuditEvent, Finding, Photo, User
from app.services import assessments
from app.services.photos import demo_photo
from app.services.rubrics import rubric_of
from tests import ROOT
from tests.conftest import Auth


def jpeg(size=(1200, 900), colour="orange", noise=False, exif=None) -> bytes:
    image = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def photos_url(assessment_id, item_id="5.3.1"):
    return f"/api/assessments/{assessment_id}/findings/{item_id}/photos"


def upload(auth, assessment_id, data=None, item_id="5.3.1", filename="sign.jpg", **fields):
    form = {"photo": (io.BytesIO(data if data is not None else jpeg()), filename), **fields}
    return auth.client.post(
        photos_url(assessment_id, item_id),
        data=form,
        headers=auth.headers(),
        content_type="multipart/form-data",
    )


def login_as(app, username) -> Auth:
    other = Auth(app.test_client())
    assert other.login(username).status_code == 302
    return other


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())


def photo_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Photo))


def score_all(app, assessment_id, deductions=(), photo_for=(), reason_for=()):
    """Score every item in the domain (fast); deductions get zero with a note."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        user = db.session.scalar(db.select(User).filter_by(username="assessor"))
        for item in rubric_of(assessment).items:
            outcome, note = ("zero", "发现问题") if item.id in deductions else ("full", "")
            assessments.record_finding(
                assessment, item.id, outcome=outcome, inputs=None, note=note, user=user
            )
        for item_id in reason_for:
            assessments.set_no_photo_reason(assessment, item_id, "现场禁止拍照", user)
        db.session.commit()


def finalize(auth, assessment_id):
    return auth.post_json(f"/api/assessments/{assessment_id}/finalize")


def test_upload_answers_201_with_the_photos_id_and_urls(app, assessor, assessment_id):
    response = upload(assessor, assessment_id, caption="三楼引导标识褪色")
    assert response.status_code == 201
    body = response.get_json()
    assert body["item_id"] == "5.3.1"
    assert body["caption"] == "三楼引导标识褪色"
    assert (body["width"], body["height"]) == (1200, 900)
    assert body["url"] == f"/photos/{body['id']}/image"
    assert body["thumb_url"] == f"/photos/{body['id']}/thumb"
    assert body["page_url"] == f"/photos/{body['id']}"
    for url in (body["url"], body["thumb_url"], body["page_url"]):
        assert assessor.client.get(url).status_code == 200


def test_a_photo_on_an_unscored_item_creates_an_unscored_finding(app, assessor, assessment_id):
    upload(assessor, assessment_id)
    with app.app_context():
        finding = db.session.scalar(db.select(Finding).filter_by(item_id="5.3.1"))
        assert finding.outcome is None
        assert len(finding.photos) == 1
    body = assessor.client.get(f"/api/assessments/{assessment_id}").get_json()
    assert "5.3.1" in body["unscored"], "a photo does not score the item"


def test_photo_file_is_served_with_nosniff_and_immutable_cache_headers(assessor, assessment_id):
    body = upload(assessor, assessment_id).get_json()
    response = assessor.client.get(body["url"])
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    assert Image.open(io.BytesIO(response.data)).size == (1200, 900)
    thumb = assessor.client.get(body["thumb_url"])
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 400


def test_finding_json_lists_its_photos(assessor, assessment_id):
    photo = upload(assessor, assessment_id).get_json()
    response = assessor.put_json(
        f"/api/assessments/{assessment_id}/findings/5.3.1", {"outcome": "zero", "note": "标识褪色"}
    )
    finding = response.get_json()["finding"]
    assert [p["id"] for p in finding["photos"]] == [photo["id"]]
    assert finding["no_photo_reason"] == ""


def test_photo_larger_than_max_photo_mb_is_refused_with_413_as_json(app, assessor, assessment_id):
    app.config["MAX_PHOTO_MB"] = 1
    data = jpeg(size=(2000, 1500), noise=True)
    assert len(data) > 1024 * 1024
    response = upload(assessor, assessment_id, data)
    assert response.status_code == 413
    assert response.get_json()["error"] == "照片超过 1 MB。"
    assert photo_count(app) == 0
    assert stored_files(app) == []


def test_request_larger_than_max_upload_is_refused_with_413_as_json(app, assessor, assessment_id):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    response = upload(assessor, assessment_id, jpeg(size=(1000, 800), noise=True))
    assert response.status_code == 413
    assert "error" in response.get_json()


@pytest.mark.parametrize(
    ("data", "filename", "status"),
    [
        (b"not a photo at all\n" * 100, "ledger.jpg", 415),
        (b"%PDF-1.7\n" + b"0" * 2000, "ledger.jpg", 415),
        (jpeg(noise=True)[:20_000], "cut.jpg", 422),
    ],
    ids=["text-named-jpg", "pdf-named-jpg", "truncated-jpeg"],
)
def test_non_image_is_refused_and_nothing_is_stored(app, assessor, assessment_id, data, filename, status):
    response = upload(assessor, assessment_id, data, filename=filename)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert photo_count(app) == 0
    assert stored_files(app) == []


def test_upload_without_a_photo_field_is_refused(assessor, assessment_id):
    response = assessor.client.post(
        photos_url(assessment_id),
        data={"caption": "x"},
        headers=assessor.headers(),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422


def test_retry_with_the_same_mutation_id_returns_the_same_photo_and_stores_one_row(
    app, assessor, assessment_id
):
    mutation_id = str(uuid.uuid4())
    data = jpeg()
    first = upload(assessor, assessment_id, data, mutation_id=mutation_id)
    retry = upload(assessor, assessment_id, data, mutation_id=mutation_id)
    assert first.status_code == retry.status_code == 201
    assert first.get_json() == retry.get_json()
    assert photo_count(app) == 1


def test_same_mutation_id_for_a_different_photo_is_refused(assessor, assessment_id):
    mutation_id = str(uuid.uuid4())
    assert upload(assessor, assessment_id, jpeg(colour="red"), mutation_id=mutation_id).status_code == 201
    assert upload(assessor, assessment_id, jpeg(colour="blue"), mutation_id=mutation_id).status_code == 422


def test_same_photo_twice_on_one_item_is_kept_once(app, assessor, assessment_id):
    data = jpeg()
    first = upload(assessor, assessment_id, data)
    second = upload(assessor, assessment_id, data)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert photo_count(app) == 1


def test_same_photo_on_two_items_is_two_photos_but_one_file(app, assessor, assessment_id):
    data = jpeg()
    upload(assessor, assessment_id, data, item_id="5.3.1")
    files = stored_files(app)
    upload(assessor, assessment_id, data, item_id="4.1.1")
    assert photo_count(app) == 2
    assert stored_files(app) == files


def test_taken_at_sent_by_the_phone_is_stored_in_utc(app, assessor, assessment_id):
    body = upload(assessor, assessment_id, taken_at="2026-11-20T09:41:05").get_json()
    assert body["taken_at"] == "2026-11-20T01:41:05Z", "a camera's local time is read in Asia/Shanghai"
    body = upload(
        assessor, assessment_id, jpeg(colour="red"), taken_at="2026-11-20T09:41:05+09:00"
    ).get_json()
    assert body["taken_at"] == "2026-11-20T00:41:05Z"
    assert upload(assessor, assessment_id, jpeg(colour="blue"), taken_at="yesterday").status_code == 422


def test_capture_time_in_the_photo_wins_over_the_phones_field(app, assessor, assessment_id):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:11:19 15:00:00"
    body = upload(assessor, assessment_id, jpeg(exif=exif), taken_at="2026-11-20T09:41:05").get_json()
    assert body["taken_at"] == "2026-11-19T07:00:00Z"


def test_caption_can_be_changed_after_upload(app, assessor, assessment_id):
    body = upload(assessor, assessment_id).get_json()
    response = assessor.client.patch(
        f"/api/photos/{body['id']}", json={"caption": "台账第 3 页"}, headers=assessor.headers()
    )
    assert response.status_code == 200
    assert response.get_json()["caption"] == "台账第 3 页"


def test_marked_up_copy_keeps_its_original_and_the_full_view_shows_both(app, assessor, assessment_id):
    original = upload(assessor, assessment_id, caption="标识").get_json()
    copy = upload(assessor, assessment_id, jpeg(colour="red"), marked_up_from=str(original["id"])).get_json()
    assert copy["marked_up_from"] == original["id"]
    assert copy["caption"] == "标识", "the copy inherits the original's caption"
    page = assessor.client.get(copy["page_url"]).get_data(as_text=True)
    assert original["url"] in page and copy["url"] in page
    page = assessor.client.get(original["page_url"]).get_data(as_text=True)
    assert copy["url"] in page


def test_marked_up_copy_must_come_from_the_same_item(assessor, assessment_id):
    original = upload(assessor, assessment_id, item_id="4.1.1").get_json()
    response = upload(assessor, assessment_id, jpeg(colour="red"), marked_up_from=str(original["id"]))
    assert response.status_code == 422


def test_assessor_deletes_a_photo_in_progress_and_the_audit_trail_keeps_it(app, assessor, assessment_id):
    original = upload(assessor, assessment_id).get_json()
    upload(assessor, assessment_id, jpeg(colour="red"), marked_up_from=str(original["id"]))
    response = assessor.client.delete(f"/api/photos/{original['id']}", headers=assessor.headers())
    assert response.status_code == 204
    assert photo_count(app) == 0, "the marked-up copy goes with its original"
    assert assessor.client.get(original["url"]).status_code == 404
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).filter_by(action="photo.delete")).all()
        assert len(events) == 2
        assert sorted(str(e.before["marked_up_from"]) for e in events) == sorted(
            [str(original["id"]), "None"]
        )
        assert all(len(e.before["sha256"]) == 64 for e in events)
        assert all(e.subject == "5.3.1" for e in events)


def test_photos_cannot_be_added_or_removed_after_finalize(app, assessor, assessment_id):
    photo = upload(assessor, assessment_id).get_json()
    score_all(app, assessment_id)
    assert finalize(assessor, assessment_id).status_code == 200
    assert upload(assessor, assessment_id, jpeg(colour="red")).status_code == 409
    assert assessor.client.delete(f"/api/photos/{photo['id']}", headers=assessor.headers()).status_code == 409
    assert photo_count(app) == 1


def test_finalize_is_refused_when_a_deduction_has_no_photo_and_no_reason(app, assessor, assessment_id):
    score_all(app, assessment_id, deductions=("5.3.1", "4.1.1", "2.1.1"))
    response = finalize(assessor, assessment_id)
    assert response.status_code == 422
    assert response.get_json()["missing_photos"] == ["2.1.1", "4.1.1", "5.3.1"]

    upload(assessor, assessment_id, item_id="5.3.1")
    put = assessor.put_json(
        f"/api/assessments/{assessment_id}/findings/4.1.1",
        {"outcome": "zero", "note": "发现问题", "no_photo_reason": "考场内禁止拍照"},
    )
    assert put.get_json()["finding"]["no_photo_reason"] == "考场内禁止拍照"
    assert finalize(assessor, assessment_id).get_json()["missing_photos"] == ["2.1.1"]

    reason = assessor.client.post(
        f"/photos/assessments/{assessment_id}/items/2.1.1/no-photo-reason",
        data={"no_photo_reason": "资料已被收回", "csrf_token": assessor.token},
        headers={"Accept": "application/json"},
    )
    assert reason.get_json() == {"item_id": "2.1.1", "no_photo_reason": "资料已被收回"}
    assert finalize(assessor, assessment_id).status_code == 200


def test_not_applicable_needs_no_photo(app, assessor, assessment_id):
    score_all(app, assessment_id)
    put = assessor.put_json(
        f"/api/assessments/{assessment_id}/findings/6.3.2", {"outcome": "not_applicable", "note": "无此情况"}
    )
    assert put.status_code == 200
    assert finalize(assessor, assessment_id).status_code == 200


@pytest.fixture
def other_station_staff(app, make_station, make_user):
    other = make_station("S002", "第二鉴定站")
    make_user("outsider", role="staff", station_id=other)
    return login_as(app, "outsider")


@pytest.fixture
def own_staff(app, station_id, make_user):
    make_user("insider", role="staff", station_id=station_id)
    return login_as(app, "insider")


def test_staff_of_another_station_gets_404_for_the_photo_and_the_upload(
    app, assessor, assessment_id, other_station_staff
):
    photo = upload(assessor, assessment_id).get_json()
    score_all(app, assessment_id)
    assert finalize(assessor, assessment_id).status_code == 200
    for url in (photo["url"], photo["thumb_url"], photo["page_url"]):
        assert other_station_staff.client.get(url).status_code == 404
    assert upload(other_station_staff, assessment_id, jpeg(colour="red")).status_code == 404
    assert (
        other_station_staff.client.delete(
            f"/api/photos/{photo['id']}", headers=other_station_staff.headers()
        ).status_code
        == 404
    )


def test_staff_cannot_see_photos_of_an_unfinalized_assessment_but_can_after(
    app, assessor, assessment_id, own_staff
):
    photo = upload(assessor, assessment_id).get_json()
    assert own_staff.client.get(photo["url"]).status_code == 404
    assert own_staff.client.get(photo["page_url"]).status_code == 404
    score_all(app, assessment_id)
    assert finalize(assessor, assessment_id).status_code == 200
    assert own_staff.client.get(photo["url"]).status_code == 200
    assert own_staff.client.get(photo["page_url"]).status_code == 200
    assert upload(own_staff, assessment_id, jpeg(colour="red")).status_code == 403


def test_logged_out_visitor_cannot_fetch_a_photo(app, assessor, assessment_id):
    photo = upload(assessor, assessment_id).get_json()
    anonymous = app.test_client()
    assert anonymous.get(photo["url"]).status_code in (302, 401)


def test_plain_form_upload_saves_the_photo_and_goes_back_to_the_item(app, assessor, assessment_id):
    response = assessor.client.post(
        f"/photos/assessments/{assessment_id}/items/5.3.1",
        data={
            "csrf_token": assessor.token,
            "next": f"/assess/{assessment_id}/items/5.3.1",
            "caption": "无 JS 上传",
            "photo": [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg(colour="red")), "b.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assess/{assessment_id}/items/5.3.1"
    assert photo_count(app) == 2


def test_plain_form_upload_of_a_non_image_says_why_and_stores_nothing(app, assessor, assessment_id):
    response = assessor.client.post(
        f"/photos/assessments/{assessment_id}/items/5.3.1",
        data={"csrf_token": assessor.token, "photo": (io.BytesIO(b"hello"), "x.jpg")},
        content_type="multipart/form-data",
        follow_redirects=False,
    )
    assert response.status_code == 302
    with assessor.client.session_transaction() as session:
        assert any("x.jpg" in str(message) for _, message in session["_flashes"])
    assert photo_count(app) == 0


def test_redirect_after_a_form_post_stays_on_this_site(assessor, assessment_id):
    response = assessor.client.post(
        f"/photos/assessments/{assessment_id}/items/5.3.1/no-photo-reason",
        data={"csrf_token": assessor.token, "no_photo_reason": "x", "next": "//evil.example/"},
    )
    assert response.headers["Location"].startswith("/")
    assert not response.headers["Location"].startswith("//")


def test_photo_page_links_to_the_previous_and_next_photo(assessor, assessment_id):
    ids = [upload(assessor, assessment_id, jpeg(colour=c)).get_json()["id"] for c in ("red", "green", "blue")]
    page = assessor.client.get(f"/photos/{ids[1]}").get_data(as_text=True)
    assert f'href="/photos/{ids[0]}' in page and 'rel="prev"' in page
    assert f'href="/photos/{ids[2]}' in page and 'rel="next"' in page
    assert "照片 2/3" in page


def test_photo_panel_shows_thumbnails_camera_button_and_no_photo_reason(app, assessor, assessment_id):
    photo = upload(assessor, assessment_id).get_json()
    html = assessor.client.get(f"/photos/assessments/{assessment_id}/items/5.3.1").get_data(as_text=True)
    assert photo["thumb_url"] in html
    assert 'accept="image/*" capture="environment"' in html
    assert 'name="no_photo_reason"' in html
    assert re.search(r'src="/static/js/pages/photos\.[0-9a-f]{12}\.js"', html)


def test_photo_panel_for_a_finalized_assessment_is_read_only_and_shows_the_reason(
    app, assessor, assessment_id
):
    score_all(app, assessment_id, deductions=("5.3.1",), reason_for=("5.3.1",))
    assert finalize(assessor, assessment_id).status_code == 200
    html = assessor.client.get(f"/photos/assessments/{assessment_id}/items/5.3.1").get_data(as_text=True)
    assert "现场禁止拍照" in html
    assert 'type="file"' not in html


def test_demo_photo_is_a_jpeg():
    assert Image.open(io.BytesIO(demo_photo("5.3.1"))).format == "JPEG"


def test_demo_assessment_is_finalized_with_evidence(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        done = db.session.scalar(db.select(Assessment).filter_by(status="finalized"))
        card = assessments.scorecard(done)
        assert card.deductions
        assert assessments.items_missing_photos(done, card) == []
        assert db.session.scalar(db.select(db.func.count()).select_from(Photo)) >= 1
        assert isinstance(done.finalized_at, datetime)


def test_summary_lists_deductions_still_missing_a_photo_and_shows_thumbnails(app, assessor, assessment_id):
    score_all(app, assessment_id, deductions=("5.3.1", "4.1.1"))
    photo = upload(assessor, assessment_id, item_id="5.3.1").get_json()
    html = assessor.client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    assert "以下扣分项须附照片" in html
    assert f'href="/assess/{assessment_id}/items/4.1.1">4.1.1</a>' in html
    assert photo["thumb_url"] in html


def test_index_shows_each_items_photo_thumbnails(app, assessor, assessment_id):
    photo = upload(assessor, assessment_id, item_id="5.3.1").get_json()
    html = assessor.client.get(f"/assess/{assessment_id}/index").get_data(as_text=True)
    assert photo["thumb_url"] in html


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.query(AuditEvent).filter_by(action=action).count()


def patch_caption(auth, photo_id, caption, mutation_id):
    return auth.client.patch(
        f"/api/photos/{photo_id}",
        json={"caption": caption, "mutation_id": mutation_id, "author": None},
        headers=auth.headers(),
    )


def post_reason(auth, assessment_id, reason, mutation_id, item_id="5.3.1"):
    """The outbox sends the reason as a form, asking for JSON."""
    return auth.client.post(
        f"/photos/assessments/{assessment_id}/items/{item_id}/no-photo-reason",
        data={"no_photo_reason": reason, "mutation_id": mutation_id},
        headers={**auth.headers(), "Accept": "application/json"},
    )


def test_a_caption_sent_twice_with_one_mutation_id_is_applied_once(app, assessor, assessment_id):
    photo_id = upload(assessor, assessment_id).get_json()["id"]
    mutation_id = str(uuid.uuid4())
    first = patch_caption(assessor, photo_id, "消防通道", mutation_id)
    retry = patch_caption(assessor, photo_id, "消防通道", mutation_id)
    assert first.status_code == retry.status_code == 200
    assert first.get_json() == retry.get_json()
    assert audit_count(app, "photo.caption") == 1


def test_a_late_caption_retry_does_not_overwrite_a_co_assessors_newer_caption(app, assessor, assessment_id):
    from tests.conftest import TEST_PASSWORD

    photo_id = upload(assessor, assessment_id).get_json()["id"]
    mutation_id = str(uuid.uuid4())
    patch_caption(assessor, photo_id, "旧说明", mutation_id)
    app_user = login_as_new_assessor(app, "li", TEST_PASSWORD)
    assert patch_caption(app_user, photo_id, "新说明", str(uuid.uuid4())).status_code == 200
    assert patch_caption(assessor, photo_id, "旧说明", mutation_id).status_code == 200
    with app.app_context():
        assert db.session.get(Photo, photo_id).caption == "新说明"


def login_as_new_assessor(app, username, password) -> Auth:
    with app.app_context():
        user = User(username=username, display_name=username, role="assessor")
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
    return login_as(app, username)


def test_a_no_photo_reason_sent_twice_with_one_mutation_id_is_applied_once(app, assessor, assessment_id):
    mutation_id = str(uuid.uuid4())
    first = post_reason(assessor, assessment_id, "考场禁止拍照", mutation_id)
    retry = post_reason(assessor, assessment_id, "考场禁止拍照", mutation_id)
    assert first.status_code == retry.status_code == 200
    assert first.get_json() == retry.get_json() == {"item_id": "5.3.1", "no_photo_reason": "考场禁止拍照"}
    assert audit_count(app, "finding.no_photo_reason") == 1


def test_a_mutation_id_used_for_another_reason_is_refused(app, assessor, assessment_id):
    mutation_id = str(uuid.uuid4())
    post_reason(assessor, assessment_id, "考场禁止拍照", mutation_id)
    assert post_reason(assessor, assessment_id, "另一个理由", mutation_id).status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(Finding.no_photo_reason)) == "考场禁止拍照"


TEMPLATES = ROOT / "app" / "templates"
# Classic on purpose: app.js runs before the first paint, htmx is vendored as a classic script.
CLASSIC_SCRIPTS = ("js/app.js", "js/htmx-")


def test_page_scripts_are_modules_and_take_their_words_from_the_ui_strings():
    """One way for words to reach a script (#ui-strings, read with t()), one way to load one."""
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text(encoding="utf-8")
        assert "data-confirm" not in html, f"{template.name}: words for a script belong in #ui-strings"
        for tag in re.findall(r"<script\b[^>]*\bsrc=[^>]*>", html):
            if not any(name in tag for name in CLASSIC_SCRIPTS):
                assert 'type="module"' in tag, f"{template.name}: {tag}"


def test_the_photo_page_asks_before_removing_in_the_pages_language(app, assessor, assessment_id):
    photo_id = assessor.client.post(
        photos_url(assessment_id), data={"photo": (io.BytesIO(jpeg()), "a.jpg")}, headers=assessor.headers()
    ).get_json()["id"]
    page = assessor.client.get(f"/photos/{photo_id}").get_data(as_text=True)
    strings = json.loads(
        re.search(r'<script type="application/json" id="ui-strings">(.*?)</script>', page).group(1)
    )
    assert "data-photo-remove" in page
    assert strings["photo_remove_confirm"] == "删除这张照片？它的标注副本也会一并删除。"
