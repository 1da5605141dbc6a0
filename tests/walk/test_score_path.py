"""Scoring an item stays lean: few SQL statements, the scorecard computed once.

The walk's tap is the request an assessor makes sixty-one times per visit on a weak link; these
counts keep a lazy load or a second scoring from creeping back in (figures: bench/score_item.py).
"""

import uuid

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Assessment
from app.services import assessments

HTMX = {"HX-Request": "true", "HX-Trigger-Name": "outcome", "HX-Target": "item"}
# the session, the user, the assessment with station and team (to check who may see it), BEGIN
# IMMEDIATE (SQLite), the assessment with station and team read again under its lock in one
# statement (FOR UPDATE OF assessments on PostgreSQL), the item's finding with photos, the
# results of all findings, the finding's update and its audit entry, and the previous assessment
# the fragment shows; the API adds the mutation's look-up and row but renders no fragment.
# Since regions, one more: the assessor's region subtree (one recursive query) to check the
# station is theirs. Since the tamper-evident audit trail, three more at commit, however many
# events the change wrote: take the chain's last link, write the event's link, move the last
# link (app/services/audit.py). PostgreSQL needs one fewer (no BEGIN IMMEDIATE). The session's
# row is touched only every five minutes, never between a test's login and its taps.
WALK_STATEMENTS = 14
API_STATEMENTS = 15


@pytest.fixture
def statements(app):
    executed = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        executed.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield executed
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def scorings(monkeypatch):
    calls = []
    real_score = assessments.score

    def counting_score(*args):
        calls.append(args)
        return real_score(*args)

    monkeypatch.setattr(assessments, "score", counting_score)
    return calls


def tap(assessor, assessment_id, outcome):
    return assessor.client.post(
        f"/assess/{assessment_id}/items/1.1.1",
        data={"csrf_token": assessor.token, "outcome": outcome, "note": "查看记录"},
        headers=HTMX,
    )


def put(assessor, assessment_id, outcome):
    return assessor.put_json(
        f"/api/assessments/{assessment_id}/findings/1.2.1",
        {"outcome": outcome, "note": "查看记录", "mutation_id": str(uuid.uuid4())},
    )


@pytest.mark.parametrize("send, most", [(tap, WALK_STATEMENTS), (put, API_STATEMENTS)])
def test_scoring_an_item_takes_few_sql_statements(assessor, assessment_id, statements, send, most):
    assert send(assessor, assessment_id, "full").status_code == 200
    statements.clear()
    response = send(assessor, assessment_id, "zero")
    assert response.status_code == 200
    assert len(statements) <= most, "\n".join(s.split(" FROM")[0][:90] for s in statements)


@pytest.mark.parametrize("send", [tap, put])
def test_scoring_an_item_computes_the_scorecard_once(assessor, assessment_id, scorings, send):
    assert send(assessor, assessment_id, "full").status_code == 200
    scorings.clear()
    assert send(assessor, assessment_id, "zero").status_code == 200
    assert len(scorings) == 1


def test_the_lean_path_answers_what_a_full_load_answers(app, assessor, assessment_id):
    for item_id, outcome in (("1.1.1", "zero"), ("1.2.1", "full"), ("2.1.1", "full")):
        assessor.put_json(
            f"/api/assessments/{assessment_id}/findings/{item_id}", {"outcome": outcome, "note": "记录"}
        )
    answer = put(assessor, assessment_id, "zero").get_json()
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        loaded = assessments.scorecard(assessment)
        assessment.findings  # noqa: B018 - load them, so scorecard() takes the other path
        assert assessments.scorecard(assessment) == loaded
    assert answer["score"] == loaded.total
