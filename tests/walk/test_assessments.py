"""The operations on an assessment that both the walk pages and the API use."""

import pytest

from app.extensions import db
from app.models import Assessment, AuditEvent, Finding, Station, User
from app.services import assessments
from app.services.refusals import Refused
from app.services.rubrics import rubric_of


@pytest.fixture
def finalized(app, make_station, make_user):
    make_user("lead")
    make_user("boss", role="admin")
    station_id = make_station()
    with app.app_context():
        lead = db.session.scalar(db.select(User).filter_by(username="lead"))
        assessment = assessments.start_assessment(db.session.get(Station, station_id), lead)
        for item in rubric_of(assessment).items:
            assessments.record_finding(assessment, item.id, outcome="full", inputs=None, note="", user=lead)
        db.session.flush()
        assessments.finalize(assessment, lead)
        db.session.commit()
        return assessment.id


def test_finalize_stores_the_total(app, finalized):
    with app.app_context():
        assessment = db.session.get(Assessment, finalized)
        assert (assessment.status, assessment.score) == ("finalized", 100)


def test_admin_reopens_with_a_reason_kept_in_the_audit_trail(app, finalized):
    with app.app_context():
        assessment = db.session.get(Assessment, finalized)
        boss = db.session.scalar(db.select(User).filter_by(username="boss"))
        assessments.reopen(assessment, boss, "  现场复核发现漏项  ")
        db.session.commit()
        assert (assessment.status, assessment.score, assessment.finalized_at) == ("in_progress", None, None)
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="assessment.reopen"))
        assert (event.reason, event.user_id, event.before["score"]) == ("现场复核发现漏项", boss.id, 100)


@pytest.mark.parametrize("username, reason, status", [("lead", "理由", 403), ("boss", "   ", 422)])
def test_reopen_needs_an_admin_and_a_reason(app, finalized, username, reason, status):
    with app.app_context():
        assessment = db.session.get(Assessment, finalized)
        user = db.session.scalar(db.select(User).filter_by(username=username))
        with pytest.raises(Refused) as refused:
            assessments.reopen(assessment, user, reason)
        assert refused.value.status == status
        assert assessment.status == "finalized"


def test_reopen_of_an_open_assessment_is_a_conflict(app, finalized):
    with app.app_context():
        assessment = db.session.get(Assessment, finalized)
        boss = db.session.scalar(db.select(User).filter_by(username="boss"))
        assessments.reopen(assessment, boss, "复核")
        with pytest.raises(Refused) as refused:
            assessments.reopen(assessment, boss, "复核")
        assert refused.value.status == 409


def test_finding_without_outcome_leaves_the_item_unscored(app, finalized):
    with app.app_context():
        assessment = db.session.get(Assessment, finalized)
        boss = db.session.scalar(db.select(User).filter_by(username="boss"))
        assessments.reopen(assessment, boss, "复核")
        assessment.finding_for("1.1.1").outcome = None
        db.session.flush()
        card = assessments.scorecard(assessment)
        assert card.unscored == ("1.1.1",)
        assert card.total == 98
        assert db.session.query(Finding).count() == 61
