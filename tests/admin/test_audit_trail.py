"""The audit trail reads as sentences in the user's language, with the right before and after."""

import re

from app.extensions import db
from app.models import Assessment, AuditEvent, Photo, Rectification, User
from app.services import assessments, rectifications
from tests.rectification.test_rectification import answer, latest, review
from tests.report_fixtures import demo_data, log_in  # noqa: F401
from tests.reports.test_share import token_on


def timeline(client, assessment_id) -> str:
    html = client.get(f"/admin/assessments/{assessment_id}").get_data(as_text=True)
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_changed_result_reads_who_changed_which_item_from_what_to_what(app, client, auth, demo):
    with app.app_context():
        assessment = db.session.get(Assessment, demo.in_progress)
        wang = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        assessments.record_finding(assessment, "2.1.8", outcome="full", inputs=None, note="", user=wang)
        assessments.record_finding(
            assessment, "2.1.8", outcome="zero", inputs=None, note="未见培训记录", user=wang
        )
        db.session.commit()
    log_in(auth, "admin")
    text = timeline(client, demo.in_progress)
    assert "王建国 将 2.1.8 从 满分 改为 扣1分：未见培训记录" in text
    assert "王建国 将 2.1.8 记为 满分" in text


def test_the_trail_shows_no_raw_key_and_no_file_hash(app, client, auth, demo):
    log_in(auth, "admin")
    text = timeline(client, demo.finalized)
    with app.app_context():
        hashes = [photo.sha256 for photo in db.session.scalars(db.select(Photo))]
    for raw in ("review_comment", "image_bytes", "per_item", "expires_at", "photo_id", "record", *hashes):
        assert raw not in text, raw
    assert "三楼考场引导标识已全部更换为新标识牌。" in text


def test_an_answer_given_again_records_the_answer_it_replaces(app, client, auth, demo):
    log_in(auth, "admin")
    reviewed = review(client, auth, latest(app, demo.finalized, "5.3.1"), "not_accepted", "照片不清")
    assert reviewed.status_code in (302, 303)
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "5.3.1", "已重新拍照。").status_code in (302, 303)
    with app.app_context():
        event = db.session.scalars(
            db.select(AuditEvent).filter_by(action="rectification.answer").order_by(AuditEvent.id.desc())
        ).first()
        assert event.before["status"] == "not_accepted"
        assert event.before["text"] == "三楼考场引导标识已全部更换为新标识牌。"
        assert (event.after["status"], event.after["text"]) == ("answered", "已重新拍照。")


def test_one_view_of_a_shared_report_is_one_event(app, client, auth, demo):
    log_in(auth, "assessor1")
    client.post(f"/assess/{demo.finalized}/shares", data={"csrf_token": auth.token})
    token = token_on(client.get(f"/assess/{demo.finalized}/result").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": auth.token})
    page = client.get(f"/shared/{token}").get_data(as_text=True)
    photo_urls = set(re.findall(rf"/shared/{token}/photos/\d+", page))
    assert len(photo_urls) >= 2
    for url in photo_urls:
        assert client.get(url).status_code == 200
    with app.app_context():
        views = db.session.scalars(db.select(AuditEvent).filter_by(action="share.view")).all()
        assert [view.after["what"] for view in views] == ["report"]
        assert rectifications  # the module the trail describes
        assert db.session.scalar(db.select(db.func.count(Rectification.id))) == 1
