"""The rules form version 1.1 states, through the JSON API an assessor's phone uses: 不适用 only
where the form offers it, with a written reason, and 9.1.2 scoring 0 while 9.1.1 does."""

import pytest


def put(auth, assessment_id, item_id, **payload):
    return auth.put_json(f"/api/assessments/{assessment_id}/findings/{item_id}", payload)


@pytest.fixture
def started(assessor, assessment_id):
    body = assessor.client.get(f"/api/assessments/{assessment_id}").get_json()
    assert body["rubric"] == {"id": "station-quality", "version": "1.1"}
    return assessment_id


def test_not_applicable_is_refused_where_the_item_always_applies(assessor, started):
    response = put(assessor, started, "1.1.1", outcome="not_applicable", note="本所无所长岗位。")
    assert response.status_code == 422
    assert response.get_json()["code"] == "not_applicable_not_allowed"


def test_not_applicable_needs_a_written_reason(assessor, started):
    refused = put(assessor, started, "1.5.2", outcome="not_applicable", note="")
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "reason_required"
    accepted = put(assessor, started, "1.5.2", outcome="not_applicable", note="本所未设此岗位。")
    assert accepted.status_code == 200


def test_an_item_scores_zero_while_the_item_it_depends_on_does(assessor, started):
    assert put(assessor, started, "9.1.1", outcome="zero", note="未签订责任书。").status_code == 200
    finding = put(assessor, started, "9.1.2", outcome="full").get_json()["finding"]
    assert (finding["score"], finding["zero_because_of"]) == (0, "9.1.1")
    assert put(assessor, started, "9.1.1", outcome="full").status_code == 200
    body = assessor.client.get(f"/api/assessments/{started}").get_json()
    again = next(f for f in body["findings"] if f["item_id"] == "9.1.2")
    assert (again["score"], again["zero_because_of"]) == (5, None)
