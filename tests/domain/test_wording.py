"""Chinese as it is printed: a label and its value placed by the catalogue, full-width colons
without a space after them, and one word, 定稿, for the act of finalizing."""

from babel.messages.pofile import read_po

from app.extensions import db
from app.models import Assessment, Station, User
from app.services import assessments
from app.services.signoff import SignatureInput, record
from tests.report_fixtures import demo_data, log_in  # noqa: F401

CATALOGUE = "app/translations/zh/LC_MESSAGES/messages.po"


def start_at_station_of(app, assessment_id, username="assessor1") -> int:
    """A new assessment at the station of the given one, as the given assessor."""
    with app.app_context():
        station = db.session.get(Station, db.session.get(Assessment, assessment_id).station_id)
        user = db.session.scalar(db.select(User).filter_by(username=username))
        assessment = assessments.start_assessment(station, user)
        db.session.commit()
        return assessment.id


def test_last_visits_no_photo_reason_follows_the_full_width_colon_directly(client, auth, app, demo):
    next_visit = start_at_station_of(app, demo.finalized)
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{next_visit}/items/6.5.1").get_data(as_text=True)
    previous = page.split('id="previous-visit"')[1].split("</details>")[0]
    assert "无照片：试卷属保密材料，现场不允许拍照。" in previous


def test_report_prints_the_no_photo_reason_after_the_colon_without_a_space(client, auth, demo):
    log_in(auth, "staff1")
    page = client.get(f"/reports/assessments/{demo.finalized}").get_data(as_text=True)
    cell = page.split('data-item="6.5.1"')[1].split("</tr>")[0]
    assert "无照片：试卷属保密材料，现场不允许拍照。" in cell


def record_representative(app, assessment_id, status):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        record(assessment, [SignatureInput("station_representative", "刘主任", status, note="外出")], user)
        db.session.commit()


def signed_section(client, assessment_id) -> str:
    page = client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    return page.split('id="signed"')[1].split("</section>")[0]


def test_an_absent_or_refusing_representative_is_named_after_a_full_width_colon(client, auth, app, demo):
    log_in(auth, "assessor1")
    record_representative(app, demo.finalized, "absent")
    assert "缺席：刘主任" in signed_section(client, demo.finalized)
    record_representative(app, demo.finalized, "refused")
    assert "拒绝签字：刘主任" in signed_section(client, demo.finalized)


def test_reopen_refusal_asks_to_finalize_the_other_assessment_with_定稿(client, auth, app, demo):
    start_at_station_of(app, demo.finalized)
    log_in(auth, "admin")
    response = client.post(
        f"/admin/assessments/{demo.finalized}/reopen", data={"csrf_token": auth.token, "reason": "漏评"}
    )
    assert response.status_code == 409
    assert "请先定稿那次评估" in response.get_data(as_text=True)


def test_no_translation_calls_finalizing_完成():
    with open(CATALOGUE, "rb") as file:
        catalogue = read_po(file)
    about_finalizing = [message for message in catalogue if "finaliz" in str(message.id).lower()]
    assert about_finalizing
    assert [message.id for message in about_finalizing if "完成" in str(message.string)] == []


def test_every_page_showing_a_no_photo_reason_puts_it_right_after_the_colon(client, auth, demo):
    reason = "无照片：试卷属保密材料，现场不允许拍照。"
    log_in(auth, "assessor1")
    for url in (
        f"/assess/{demo.finalized}/summary",
        f"/assess/{demo.finalized}/items/6.5.1",
        f"/station/assessments/{demo.finalized}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert reason in page, url
        assert "无照片： " not in page, url
