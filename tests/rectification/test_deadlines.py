"""Rectification deadlines (整改期限): set at 定稿, counted down on both sides, overdue on the dashboard."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Assessment, AuditEvent
from app.services import deadlines
from tests.rectification.test_rectification import answer, latest, review
from tests.report_fixtures import complete_assessment, demo_data, log_in  # noqa: F401


def today(app):
    with app.app_context():
        return deadlines.today()


def set_due(app, assessment_id, overall=None, **per_item):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assessment.rectification_due = overall
        for finding in assessment.findings:
            finding.rectification_due = per_item.get(finding.item_id.replace(".", "_"))
        db.session.commit()


def test_finalize_stores_the_deadline_for_the_assessment_and_per_deduction(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    overall, own = today(app) + timedelta(days=30), today(app) + timedelta(days=10)
    log_in(auth, "assessor1")
    form = {"csrf_token": auth.token, "rectification_due": overall.isoformat(), "due-5.3.1": own.isoformat()}
    review_page = client.post(f"/assess/{assessment_id}/review", data=form).get_data(as_text=True)
    assert f'name="due-5.3.1" value="{own.isoformat()}"' in review_page
    assert f'name="rectification_due" value="{overall.isoformat()}"' in review_page
    assert client.post(f"/assess/{assessment_id}/finalize", data=form).status_code == 302
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment.rectification_due == overall
        assert assessment.finding_for("5.3.1").rectification_due == own
        assert assessment.finding_for("1.1.1").rectification_due is None
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="rectification.deadline"))
        assert event.after == {"overall": overall.isoformat(), "per_item": {"5.3.1": own.isoformat()}}


@pytest.mark.parametrize("value, message", [("2020-01-01", "不能早于今天"), ("31/12/2026", "须为日期")])
def test_a_bad_deadline_refuses_finalize_and_keeps_what_was_typed(app, client, auth, demo, value, message):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    form = {"csrf_token": auth.token, "rectification_due": value, "station_representative-name": "刘主任"}
    response = client.post(f"/assess/{assessment_id}/finalize", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and f'value="{value}"' in page and 'value="刘主任"' in page
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "in_progress"


def test_summary_offers_a_deadline_field_for_each_deduction(app, client, auth, demo):
    assessment_id = complete_assessment(app)
    log_in(auth, "assessor1")
    page = client.get(f"/assess/{assessment_id}/summary").get_data(as_text=True)
    assert 'name="rectification_due" form="finalize-form"' in page
    assert 'name="due-5.3.1" form="finalize-form"' in page
    assert 'name="due-1.1.1"' not in page


def test_staff_and_assessors_see_the_days_left(app, client, auth, demo):
    set_due(app, demo.finalized, overall=today(app) + timedelta(days=12))
    log_in(auth, "staff1")
    page = client.get(f"/station/assessments/{demo.finalized}").get_data(as_text=True)
    assert "还剩 12 天" in page
    home = client.get("/station/").get_data(as_text=True)
    due = home.split('id="due"')[1].split("</section>")[0]
    assert "4.1.1" in due and "6.5.1" in due
    assert "5.3.1" not in due, "an answered deduction waits on the assessors, not the station"
    log_in(auth, "assessor1")
    assert "还剩 12 天" in client.get(f"/station/assessments/{demo.finalized}").get_data(as_text=True)


def test_overdue_deductions_show_on_both_sides_and_count_on_the_dashboard(app, client, auth, demo):
    set_due(
        app,
        demo.finalized,
        overall=today(app) + timedelta(days=20),
        **{"4_1_1": today(app) - timedelta(days=3)},
    )
    log_in(auth, "staff1")
    home = client.get("/station/").get_data(as_text=True)
    assert "已逾期 3 天" in home.split('id="due"')[1]
    log_in(auth, "admin")
    overdue = client.get("/admin/").get_data(as_text=True).split('id="overdue"')[1].split("</section>")[0]
    assert "BJ001" in overdue and ">1</span>" in overdue


def test_an_answer_stops_the_clock_and_not_accepted_starts_it_again(app, client, auth, demo):
    set_due(app, demo.finalized, overall=today(app) - timedelta(days=1))
    log_in(auth, "admin")
    overdue = client.get("/admin/").get_data(as_text=True).split('id="overdue"')[1].split("</section>")[0]
    assert ">2</span>" in overdue, "4.1.1 and 6.5.1 are open; 5.3.1 is answered"
    log_in(auth, "staff1")
    assert answer(client, auth, demo.finalized, "4.1.1").status_code == 303
    log_in(auth, "admin")
    overdue = client.get("/admin/").get_data(as_text=True).split('id="overdue"')[1].split("</section>")[0]
    assert ">1</span>" in overdue
    log_in(auth, "assessor1")
    review(client, auth, latest(app, demo.finalized, "4.1.1"), "not_accepted", "照片不清楚")
    log_in(auth, "admin")
    overdue = client.get("/admin/").get_data(as_text=True).split('id="overdue"')[1].split("</section>")[0]
    assert ">2</span>" in overdue


def test_dashboard_says_when_nothing_is_overdue(client, auth, demo):
    log_in(auth, "admin")
    assert "没有逾期未整改的扣分项" in client.get("/admin/").get_data(as_text=True)


def finished_row(client, assessment_id) -> str:
    """The assessor's home's row for one finalized assessment."""
    page = client.get("/assess/").get_data(as_text=True)
    finished = page.split('id="finished"')[1]
    return finished.split(f'href="/assess/{assessment_id}/result"')[1].split("</li>")[0]


def rectification_card(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return page.split('id="rectification-progress"')[1].split("</section>")[0]


def test_assessors_finished_list_shows_days_left_and_what_is_still_open(app, client, auth, demo):
    set_due(app, demo.finalized, overall=today(app) + timedelta(days=12))
    log_in(auth, "assessor1")
    row = finished_row(client, demo.finalized)
    assert "还剩 12 天" in row
    assert "2 个待答复" in row, "4.1.1 and 6.5.1; 5.3.1 is answered"
    assert "1 个答复待审核" in row
    assert "逾期" not in row


def test_assessors_finished_list_shows_an_overdue_deduction(app, client, auth, demo):
    later, past = today(app) + timedelta(days=20), today(app) - timedelta(days=3)
    set_due(app, demo.finalized, overall=later, **{"4_1_1": past})
    log_in(auth, "assessor1")
    row = finished_row(client, demo.finalized)
    assert "已逾期 3 天" in row and "1 项已逾期" in row and "2 个待答复" in row
    assert "还剩 20 天" not in row, "the most urgent deadline leads"


def test_result_and_summary_of_a_finalized_assessment_show_the_deadline_status(app, client, auth, demo):
    set_due(app, demo.finalized, overall=today(app) - timedelta(days=2))
    log_in(auth, "assessor1")
    for url in (f"/assess/{demo.finalized}/result", f"/assess/{demo.finalized}/summary"):
        card = rectification_card(client, url)
        assert "已逾期 2 天" in card and "2 项已逾期" in card and "2 个待答复" in card, url
        assert "1 个答复待审核" in card, url
        assert f'href="/station/assessments/{demo.finalized}"' in card, url


def test_without_a_deadline_the_assessor_sees_what_is_open_and_that_none_is_set(app, client, auth, demo):
    log_in(auth, "assessor1")
    assert "2 个待答复" in finished_row(client, demo.finalized)
    card = rectification_card(client, f"/assess/{demo.finalized}/result")
    assert "2 个待答复" in card and "未设整改期限" in card


def test_once_every_deduction_is_accepted_the_clock_is_gone(app, client, auth, demo):
    set_due(app, demo.finalized, overall=today(app) - timedelta(days=2))
    for item_id in ("4.1.1", "6.5.1"):
        log_in(auth, "staff1")
        assert answer(client, auth, demo.finalized, item_id).status_code == 303
    log_in(auth, "assessor1")
    for item_id in ("4.1.1", "5.3.1", "6.5.1"):
        review(client, auth, latest(app, demo.finalized, item_id), "accepted", "")
    row = finished_row(client, demo.finalized)
    assert "逾期" not in row and "待答复" not in row and "扣分项均已整改通过" in row
    card = rectification_card(client, f"/assess/{demo.finalized}/result")
    assert "扣分项均已整改通过" in card and "逾期" not in card
