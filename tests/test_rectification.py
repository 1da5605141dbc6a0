"""Rectification (整改): staff answer deductions with text and photos; assessors accept them or not."""

import io

import pytest

from app.extensions import db
from app.models import EVIDENCE, RECTIFICATION, Assessment, AuditEvent, Photo, Rectification
from app.services.photos import demo_photo
from app.services.rectifications import status_of
from tests.report_fixtures import demo_data, log_in  # noqa: F401


def answer(client, auth, assessment_id, item_id, text="已整改。", photos=()):
    data = {"csrf_token": auth.token, "text": text}
    data["photo"] = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
    return client.post(
        f"/station/assessments/{assessment_id}/items/{item_id}/rectification",
        data=data,
        content_type="multipart/form-data",
    )


def review(client, auth, rectification_id, decision, comment=""):
    return client.post(
        f"/station/rectifications/{rectification_id}/review",
        data={"csrf_token": auth.token, "decision": decision, "comment": comment},
    )


def status(app, assessment_id, item_id):
    with app.app_context():
        return status_of(db.session.get(Assessment, assessment_id).finding_for(item_id))


def latest(app, assessment_id, item_id):
    with app.app_context():
        return db.session.scalars(
            db.select(Rectification.id).filter_by(assessment_id=assessment_id, item_id=item_id)
        ).all()[-1]


def actions(app):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent.action)).all()


def test_demo_has_one_answered_rectification(app, demo):
    assert status(app, demo.finalized, "5.3.1") == "answered"
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_staff_answers_a_deduction_with_a_photo(app, client, auth, demo):
    log_in(auth, "staff1")
    response = answer(
        client, auth, demo.finalized, "4.1.1", "车床防护罩已重新安装。", [demo_photo("fixed", (800, 600))]
    )
    assert response.status_code == 303
    assert status(app, demo.finalized, "4.1.1") == "answered"
    with app.app_context():
        finding = db.session.get(Assessment, demo.finalized).finding_for("4.1.1")
        rectification = finding.rectifications[-1]
        assert rectification.text == "车床防护罩已重新安装。"
        assert [p.purpose for p in rectification.photos] == [RECTIFICATION]
        assert all(p.purpose == EVIDENCE for p in finding.photos)
        photo_id = rectification.photos[0].id
    assert "rectification.answer" in actions(app)
    page = client.get(f"/station/assessments/{demo.finalized}").get_data(as_text=True)
    assert "车床防护罩已重新安装。" in page and f"/photos/{photo_id}/thumb" in page
    assert client.get(f"/photos/{photo_id}").status_code == 200
    assert client.get(f"/photos/{photo_id}/image").status_code == 200


def test_rectification_photos_are_not_evidence(app, client, auth, demo):
    log_in(auth, "staff1")
    answer(client, auth, demo.finalized, "4.1.1", photos=[demo_photo("fixed", (800, 600))])
    log_in(auth, "assessor1")
    body = client.get(f"/api/assessments/{demo.finalized}").get_json()
    report = client.get(f"/reports/assessments/{demo.finalized}").get_data(as_text=True)
    with app.app_context():
        rectification_photo = db.session.scalar(db.select(Photo.id).filter_by(purpose=RECTIFICATION))
    assert f"/photos/{rectification_photo}/" not in str(body)
    assert f"/photos/{rectification_photo}/image" not in report


def test_staff_of_another_station_cannot_answer(app, client, auth, demo):
    log_in(auth, "staff2")
    assert answer(client, auth, demo.finalized, "4.1.1").status_code == 404
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_assessor_cannot_answer_a_deduction(app, client, auth, demo):
    log_in(auth, "assessor1")
    assert answer(client, auth, demo.finalized, "4.1.1").status_code == 403
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_staff_cannot_review(app, client, auth, demo):
    log_in(auth, "staff1")
    assert review(client, auth, latest(app, demo.finalized, "5.3.1"), "accepted").status_code == 403
    assert status(app, demo.finalized, "5.3.1") == "answered"


def test_staff_cannot_answer_an_in_progress_assessment(app, client, auth, demo):
    log_in(auth, "staff2")
    assert answer(client, auth, demo.in_progress, "1.1.1").status_code == 404


def test_item_without_deduction_cannot_be_answered(app, client, auth, demo):
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "1.1.1").status_code == 404
    # 6.3.2 is 不适用: nothing to rectify.
    assert answer(client, auth, demo.finalized, "6.3.2").status_code == 404


def test_answer_needs_text(app, client, auth, demo):
    log_in(auth, "staff1")
    response = answer(client, auth, demo.finalized, "4.1.1", text="  ")
    assert response.status_code == 422
    assert "请说明整改了什么。" in response.get_data(as_text=True)
    assert status(app, demo.finalized, "4.1.1") == "open"


def test_answer_with_a_file_that_is_not_a_photo_stores_nothing(app, client, auth, demo):
    log_in(auth, "staff1")
    response = answer(client, auth, demo.finalized, "4.1.1", photos=[b"%PDF-1.4 not a photo"])
    assert response.status_code == 415
    assert status(app, demo.finalized, "4.1.1") == "open"
    assert "这个文件不是照片" in response.get_data(as_text=True)


def test_answered_deduction_waits_for_review_before_another_answer(app, client, auth, demo):
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "5.3.1").status_code == 409


def test_assessor_accepts_an_answer(app, client, auth, demo):
    log_in(auth, "assessor2")
    response = review(client, auth, latest(app, demo.finalized, "5.3.1"), "accepted", "现场核实。")
    assert response.status_code == 303
    assert status(app, demo.finalized, "5.3.1") == "accepted"
    assert "rectification.review" in actions(app)
    log_in(auth, "staff1")
    page = client.get(f"/station/assessments/{demo.finalized}").get_data(as_text=True)
    section = page.split('id="item-5.3.1"')[1].split("</article>")[0]
    assert "已认可" in section and "现场核实。" in section and "提交整改答复" not in section
    assert answer(client, auth, demo.finalized, "5.3.1").status_code == 409


def test_not_accepted_needs_a_comment(app, client, auth, demo):
    log_in(auth, "assessor1")
    review(client, auth, latest(app, demo.finalized, "5.3.1"), "not_accepted")
    assert status(app, demo.finalized, "5.3.1") == "answered"


def test_not_accepted_answer_can_be_answered_again(app, client, auth, demo):
    log_in(auth, "admin")
    review(client, auth, latest(app, demo.finalized, "5.3.1"), "not_accepted", "二楼仍缺标识。")
    assert status(app, demo.finalized, "5.3.1") == "not_accepted"
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "5.3.1", "二楼标识也已更换。").status_code == 303
    assert status(app, demo.finalized, "5.3.1") == "answered"
    with app.app_context():
        history = db.session.get(Assessment, demo.finalized).finding_for("5.3.1").rectifications
        assert [(r.review, r.text) for r in history] == [
            ("not_accepted", "三楼考场引导标识已全部更换为新标识牌。"),
            (None, "二楼标识也已更换。"),
        ]


def test_a_reviewed_answer_cannot_be_reviewed_twice(app, client, auth, demo):
    log_in(auth, "assessor1")
    rectification_id = latest(app, demo.finalized, "5.3.1")
    review(client, auth, rectification_id, "accepted")
    review(client, auth, rectification_id, "not_accepted", "改主意")
    assert status(app, demo.finalized, "5.3.1") == "accepted"
    assert actions(app).count("rectification.review") == 1


@pytest.mark.parametrize("decision", ["", "maybe"])
def test_review_needs_a_known_decision(app, client, auth, demo, decision):
    log_in(auth, "assessor1")
    review(client, auth, latest(app, demo.finalized, "5.3.1"), decision, "x")
    assert status(app, demo.finalized, "5.3.1") == "answered"


def test_summary_lists_answers_waiting_for_review(app, client, auth, demo):
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{demo.finalized}/summary").get_data(as_text=True)
    section = page.split('id="rectification-reviews"')[1]
    assert "三楼考场引导标识已全部更换为新标识牌。" in section
    assert 'value="accepted"' in section and 'value="not_accepted"' in section
    reviews = client.get("/station/reviews").get_data(as_text=True)
    assert "三楼考场引导标识已全部更换为新标识牌。" in reviews


def test_reviews_page_is_for_assessors(app, client, auth, demo):
    log_in(auth, "staff1")
    assert client.get("/station/reviews").status_code == 403


def test_both_sides_see_every_deduction_status(app, client, auth, demo):
    for username in ("staff1", "assessor1"):
        log_in(auth, username)
        page = client.get(f"/station/assessments/{demo.finalized}").get_data(as_text=True)
        assert 'data-status="open"' in page and 'data-status="answered"' in page


def test_assessor_home_links_to_answers_waiting_for_review(app, client, auth, demo):
    log_in(auth, "assessor1")
    page = client.get("/assess/").get_data(as_text=True)
    assert "/station/reviews" in page and "所（站）整改答复待审核" in page
