"""A station has one assessment in progress at a time: a second start joins it, a reopen waits for it."""

from app.extensions import db
from app.models import IN_PROGRESS, Assessment
from tests.report_fixtures import demo_data, log_in  # noqa: F401


def test_a_second_start_at_a_station_joins_the_assessment_in_progress(app, auth, demo):
    log_in(auth, "assessor1")
    first = auth.post_json("/api/assessments", {"station_id": demo.bj001})
    log_in(auth, "assessor2")
    second = auth.post_json("/api/assessments", {"station_id": demo.bj001})

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["id"] == first.get_json()["id"]
    with app.app_context():
        assessment = db.session.get(Assessment, first.get_json()["id"])
        assert sorted(user.username for user in assessment.team) == ["assessor1", "assessor2"]


def test_a_reopen_while_the_station_has_another_assessment_in_progress_is_refused(app, auth, demo):
    log_in(auth, "assessor1")
    started = auth.post_json("/api/assessments", {"station_id": demo.bj001}).get_json()["id"]
    log_in(auth, "admin")

    answer = auth.client.post(
        f"/admin/assessments/{demo.finalized}/reopen", data={"reason": "更正", "csrf_token": auth.token}
    )

    assert answer.status_code == 409
    assert "另有一次评估正在进行" in answer.get_data(as_text=True)
    with app.app_context():
        in_progress = db.session.scalars(
            db.select(Assessment.id).filter_by(station_id=demo.bj001, status=IN_PROGRESS)
        ).all()
    assert in_progress == [started]
