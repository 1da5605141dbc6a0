"""Several results in one request: a phone sends what it kept offline with one round trip, and the
server applies each change as its own PUT would have, in order, once, on its own."""

import uuid

import pytest

from app.extensions import db
from app.models import AuditEvent, Finding, Mutation


def post(auth, assessment_id, *changes):
    return auth.post_json(f"/api/assessments/{assessment_id}/findings", {"findings": list(changes)})


def change(item_id, **fields):
    return {"item_id": item_id, "mutation_id": str(uuid.uuid4()), **fields}


def findings_on_server(auth, assessment_id):
    body = auth.client.get(f"/api/assessments/{assessment_id}").get_json()
    return {f["item_id"]: (f["outcome"], f["note"]) for f in body["findings"]}


def test_results_sent_together_are_each_recorded_and_answered_as_their_own_put_would_be(
    app, assessor, assessment_id
):
    first, second = change("1.1.1", outcome="full"), change("1.2.1", outcome="zero", note="无制度")
    response = post(assessor, assessment_id, first, second)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [(r["item_id"], r["mutation_id"], r["status"]) for r in results] == [
        ("1.1.1", first["mutation_id"], 200),
        ("1.2.1", second["mutation_id"], 200),
    ]
    assert results[1]["body"]["finding"]["outcome"] == "zero"
    assert results[1]["body"]["score"] == results[0]["body"]["score"]
    alone = assessor.put_json(f"/api/assessments/{assessment_id}/findings/1.2.1", second).get_json()
    assert alone == results[1]["body"], "a retry through PUT gets the answer already given"
    assert findings_on_server(assessor, assessment_id) == {"1.1.1": ("full", ""), "1.2.1": ("zero", "无制度")}
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="finding.set").count() == 2
        assert db.session.query(Mutation).count() == 2


def test_the_same_request_sent_again_changes_nothing(app, assessor, assessment_id):
    changes = [change("1.1.1", outcome="zero", note="无文件"), change("1.2.1", outcome="full")]
    first = post(assessor, assessment_id, *changes).get_json()
    again = post(assessor, assessment_id, *changes).get_json()
    assert first == again
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="finding.set").count() == 2


def test_changes_to_one_item_are_applied_in_their_order(assessor, assessment_id):
    post(assessor, assessment_id, change("1.1.1", outcome="zero", note="先"), change("1.1.1", outcome="full"))
    assert findings_on_server(assessor, assessment_id) == {"1.1.1": ("full", "")}


def test_a_refused_change_refuses_only_itself(app, assessor, assessment_id):
    results = post(
        assessor,
        assessment_id,
        change("1.1.1", outcome="full"),
        change("1.2.1", outcome="half"),
        change("9.9.9", outcome="full"),
        change("1.3.1", outcome="full", note=["x"]),
        change("1.4.1", outcome="full"),
    ).get_json()["results"]
    assert [r["status"] for r in results] == [200, 422, 404, 422, 200]
    assert all(r["body"]["error"] for r in results if r["status"] != 200)
    assert findings_on_server(assessor, assessment_id) == {"1.1.1": ("full", ""), "1.4.1": ("full", "")}


def test_a_change_of_another_user_stops_the_run_and_what_follows_waits(
    app, assessor, assessment_id, make_user
):
    other_id = make_user("colleague")
    results = post(
        assessor,
        assessment_id,
        change("1.1.1", outcome="full"),
        change("1.2.1", outcome="zero", note="别人的记录", author=other_id),
        change("1.3.1", outcome="full"),
    ).get_json()["results"]
    assert [(r["item_id"], r["status"], r["body"].get("code")) for r in results] == [
        ("1.1.1", 200, None),
        ("1.2.1", 409, "author"),
    ]
    assert findings_on_server(assessor, assessment_id) == {"1.1.1": ("full", "")}


def test_changes_after_the_assessment_was_finalized_are_refused(app, assessor, assessment_id):
    rubric = assessor.client.get("/api/rubric").get_json()
    every_item = [change(i["id"], outcome="full") for c in rubric["categories"] for i in c["items"]]
    assert {r["status"] for r in post(assessor, assessment_id, *every_item).get_json()["results"]} == {200}
    assert assessor.post_json(f"/api/assessments/{assessment_id}/finalize").status_code == 200
    results = post(assessor, assessment_id, change("1.1.1", outcome="zero", note="迟到的")).get_json()[
        "results"
    ]
    assert results[0]["status"] == 409
    assert findings_on_server(assessor, assessment_id)["1.1.1"] == ("full", "")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"findings": []},
        {"findings": "1.1.1"},
        {"findings": {"item_id": "1.1.1"}},
        {"findings": [{"item_id": "1.1.1", "outcome": "full"}] * 101},
    ],
)
def test_a_request_without_a_list_of_1_to_100_results_is_refused_and_changes_nothing(
    app, assessor, assessment_id, body
):
    response = assessor.post_json(f"/api/assessments/{assessment_id}/findings", body)
    assert response.status_code == 422
    assert response.get_json()["error"]
    with app.app_context():
        assert db.session.query(Finding).count() == 0


def test_entries_that_are_not_objects_are_refused_one_by_one(assessor, assessment_id):
    results = post(assessor, assessment_id, "1.1.1", change("1.1.1", outcome="full")).get_json()["results"]
    assert [r["status"] for r in results] == [422, 200]


def test_staff_cannot_send_results_and_other_assessments_are_not_found(auth, make_user, station_id, assessor):
    assert post(assessor, 999, change("1.1.1", outcome="full")).status_code == 404
    assessor.logout()
    make_user("staff", role="staff", station_id=station_id)
    auth.login("staff")
    assert post(auth, 1, change("1.1.1", outcome="full")).status_code == 403


def test_sending_results_needs_a_login(client):
    assert client.post("/api/assessments/1/findings", json={"findings": []}).status_code in (400, 401)


def test_an_empty_request_is_explained_in_chinese(assessor, assessment_id):
    response = assessor.post_json(f"/api/assessments/{assessment_id}/findings", {"findings": []})
    assert response.get_json() == {"error": "请一次发送 1 到 100 项评估结果。", "field": "findings"}
    results = post(assessor, assessment_id, ["1.1.1"]).get_json()["results"]
    assert results[0]["body"]["error"] == "每项评估结果必须是一个 JSON 对象。"
