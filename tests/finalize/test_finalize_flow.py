"""定稿 as one checklist, a review step, a result screen, and a sign-off that survives a refusal."""

from app.extensions import db
from app.models import Assessment, User
from app.services import assessments
from tests.report_fixtures import (  # noqa: F401
    complete_assessment,
    deduction_without_photo,
    demo_data,
    log_in,
    png_data_url,
)


def sign_off_form(token, **extra):
    return {
        "csrf_token": token,
        "lead_assessor-name": "王建国",
        "lead_assessor-image": png_data_url(),
        "station_representative-status": "signed",
        "station_representative-name": "刘主任",
        "station_representative-image": png_data_url(size=(500, 160)),
        "station_representative-note": "",
        **extra,
    }


def finalize_button(page: str) -> str:
    return page.split('id="finalize-form"')[1].split("</form>")[0]


def test_finalize_button_is_disabled_while_a_deduction_lacks_a_photo(client, auth, demo, app):
    assessment_id = deduction_without_photo(app)
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    assert "disabled" in finalize_button(page)
    assert 'data-complete="false"' in page


def test_checklist_never_says_all_done_above_items_that_still_need_photos(client, auth, demo, app):
    assessment_id = deduction_without_photo(app)
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    checklist = page.split('id="checklist"')[1].split("</section>")[0]
    assert "所有扣分均有备注" not in checklist
    assert "须附照片" in checklist and "5.3.1" in checklist
    assert "所有小项均已评分" in checklist


def test_complete_assessment_enables_the_button(client, auth, demo, app):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    assert "disabled" not in finalize_button(page)
    assert 'data-complete="true"' in page


def test_refused_finalize_keeps_every_signature_and_the_representatives_name(client, auth, demo, app):
    assessment_id = deduction_without_photo(app)
    log_in(auth, "assessor1")
    form = sign_off_form(auth.token)
    response = client.post(f"/assess/{assessment_id}/finalize", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="刘主任"' in page and 'value="王建国"' in page
    assert page.count(f'value="{form["lead_assessor-image"]}"') == 1
    assert page.count(f'value="{form["station_representative-image"]}"') == 1
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "in_progress"


def test_refused_finalize_keeps_an_absent_representatives_status_and_note(client, auth, demo, app):
    assessment_id = deduction_without_photo(app)
    log_in(auth, "assessor1")
    form = sign_off_form(
        auth.token,
        **{
            "station_representative-status": "absent",
            "station_representative-image": "",
            "station_representative-note": "所长外出开会",
        },
    )
    page = client.post(f"/assess/{assessment_id}/review", data=form).get_data(as_text=True)
    assert 'value="absent" form="finalize-form" checked' in page
    assert "所长外出开会</textarea>" in page


def test_review_shows_what_will_be_locked_before_anything_is_locked(client, auth, demo, app):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = client.post(f"/assess/{assessment_id}/review", data=sign_off_form(auth.token))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "定稿前核对" in page and "将锁定的内容" in page
    assert "全部 61 个小项" in page and "1 张照片" in page
    assert "5.3.1" in page and "标识缺失。" in page
    assert "王建国" in page and "刘主任" in page and "signature-image" in page
    assert f'action="/assess/{assessment_id}/finalize"' in page
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment.status == "in_progress" and assessment.signatures == []


def test_review_shows_a_partial_deduction_as_partial(client, auth, demo, app):
    assessment_id = complete_assessment(app, zero_item="4.1.1")
    log_in(auth, "assessor1")
    data = {"csrf_token": auth.token, "outcome": "minus_1", "note": "一台车床防护罩缺失。"}
    assert client.post(f"/assess/{assessment_id}/items/4.1.1", data=data).status_code == 302
    review = client.post(f"/assess/{assessment_id}/review", data=sign_off_form(auth.token))
    row = review.get_data(as_text=True).split('<span class="item-code">4.1.1</span>')[1].split("</li>")[0]
    assert '<span class="badge partial">−1</span>' in row


def test_review_refuses_an_incomplete_assessment_with_the_summary(client, auth, demo, app):
    assessment_id = deduction_without_photo(app)
    log_in(auth, "assessor1")
    response = client.post(f"/assess/{assessment_id}/review", data=sign_off_form(auth.token))
    assert response.status_code == 422
    assert "没有照片" in response.get_data(as_text=True)


def test_back_from_the_review_keeps_the_sign_off(client, auth, demo, app):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    form = sign_off_form(auth.token)
    response = client.post(f"/assess/{assessment_id}/summary", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="刘主任"' in page and f'value="{form["lead_assessor-image"]}"' in page


def test_confirmed_finalize_stores_the_sign_off_and_opens_the_result(client, auth, demo, app):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = client.post(f"/assess/{assessment_id}/finalize", data=sign_off_form(auth.token))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assess/{assessment_id}/result"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert len(assessment.signatures) == 2
        score = assessment.score
    assert "评估已定稿。" in page and f'<p class="score-big">{score} ' in page
    assert f"/reports/assessments/{assessment_id}.pdf" in page
    assert f'href="/reports/assessments/{assessment_id}"' in page


def test_result_of_an_assessment_in_progress_goes_to_the_summary(client, auth, demo, app):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    response = client.get(f"/assess/{assessment_id}/result")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/summary")


def test_summary_lists_not_applicable_items_with_their_reason(client, auth, demo, app):
    assessment_id = complete_assessment(app)
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        assessment = db.session.get(Assessment, assessment_id)
        assessments.record_finding(
            assessment, "6.3.2", outcome="not_applicable", inputs=None, note="均用国家题库", user=user
        )
        db.session.commit()
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    section = page.split('id="not-applicable"')[1].split("</section>")[0]
    assert "6.3.2" in section and "均用国家题库" in section


def test_summary_of_a_finalized_assessment_shows_the_sign_off(client, auth, demo):
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{demo.finalized}/summary").get_data(as_text=True)
    section = page.split('id="signed"')[1].split("</section>")[0]
    assert "组长" in section or "评估组长" in section
    assert "signature-image" in section


def test_the_act_is_called_定稿_everywhere():
    with open("app/translations/zh/LC_MESSAGES/messages.po", encoding="utf-8") as catalogue:
        assert "确认完成" not in catalogue.read()


def test_report_and_pdf_show_why_a_deduction_has_no_photo(client, auth, demo, app):
    assessment_id = deduction_without_photo(app)
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        assessment = db.session.get(Assessment, assessment_id)
        assessments.set_no_photo_reason(assessment, "5.3.1", "档案室禁止拍照", user)
        db.session.commit()
    log_in(auth, "assessor1")
    page = client.get(f"/reports/assessments/{assessment_id}").get_data(as_text=True)
    cell = page.split('data-item="5.3.1"')[1].split("</tr>")[0]
    assert "无照片：" in cell and "档案室禁止拍照" in cell
    with app.test_request_context(), app.app_context():
        from flask import render_template

        from app.services.reports import document
        from app.services.reports.pdf import photo_src

        pdf_html = render_template(
            "reports/pdf.html",
            report=document.build(db.session.get(Assessment, assessment_id)),
            css="",
            photo_src=photo_src,
        )
    assert "档案室禁止拍照" in pdf_html.split('data-item="5.3.1"')[1].split("</tr>")[0]
