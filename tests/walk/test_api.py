import json
import uuid

import pytest

from app.extensions import db
from app.models import AuditEvent, Finding, Station
from tests.conftest import FORM_VERSION_1


def put(auth, assessment_id, item_id, **payload):
    return auth.put_json(f"/api/assessments/{assessment_id}/findings/{item_id}", payload)


def score_everything_full(auth, assessment_id):
    rubric = auth.client.get("/api/rubric").get_json()
    for category in rubric["categories"]:
        for item in category["items"]:
            assert put(auth, assessment_id, item["id"], outcome="full").status_code == 200


@FORM_VERSION_1
def test_rubric_lists_the_whole_form_in_order(assessor):
    rubric = assessor.client.get("/api/rubric").get_json()
    assert rubric["id"] == "station-quality"
    assert rubric["max_points"] == 100
    assert [c["max_points"] for c in rubric["categories"]] == [11, 14, 14, 5, 5, 32, 2, 7, 10]
    items = [i for c in rubric["categories"] for i in c["items"]]
    assert len(items) == 61
    first = items[0]
    assert first["text"] == "所(站)长岗位职责明确"
    assert first["group"] == {"code": "1.1", "title": "领导岗位情况"}
    assert {"key": "not_applicable", "label": "不适用", "points": 2} in first["outcomes"]
    assert {item["not_applicable"] for item in items} == {"full_points"}


def test_rubric_declares_inputs_for_counted_items(assessor):
    rubric = assessor.client.get("/api/rubric").get_json()
    items = {i["id"]: i for c in rubric["categories"] for i in c["items"]}
    assert [i["name"] for i in items["4.1.1"]["inputs"]] == ["problems"]
    assert [i["name"] for i in items["6.5.1"]["inputs"]] == ["papers_checked", "papers_with_errors"]


def test_api_needs_login(client):
    response = client.get("/api/rubric")
    assert response.status_code == 401
    assert response.get_json()["error"]


@FORM_VERSION_1
def test_create_assessment_records_rubric_version_and_team(assessor, station_id):
    response = assessor.post_json("/api/assessments", {"station_id": station_id})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "in_progress"
    assert body["rubric"] == {"id": "station-quality", "version": "1"}
    assert body["score"] == 0 and body["max_points"] == 100
    assert len(body["unscored"]) == 61
    assert [m["username"] for m in body["team"]] == ["assessor"]


def test_new_assessments_use_the_latest_form_version(assessor, station_id):
    body = assessor.post_json("/api/assessments", {"station_id": station_id}).get_json()
    assert body["rubric"] == {"id": "station-quality", "version": "1.1"}
    rubric = assessor.client.get("/api/rubric").get_json()
    items = {i["id"]: i for c in rubric["categories"] for i in c["items"]}
    assert items["6.3.2"]["not_applicable"] == "full_points"
    assert items["7.1.1"]["not_applicable"] == "scale_category"
    assert items["1.1.1"]["not_applicable"] == "not_allowed"
    assert "not_applicable" not in {o["key"] for o in items["1.1.1"]["outcomes"]}


@pytest.mark.parametrize(
    "payload, status",
    [({}, 422), ({"station_id": "1"}, 422), ({"station_id": True}, 422), ({"station_id": 999}, 422)],
)
def test_create_assessment_rejects_bad_station(assessor, station_id, payload, status):
    response = assessor.post_json("/api/assessments", payload)
    assert response.status_code == status
    assert response.get_json()["error"]


def test_create_assessment_rejects_non_json(assessor, station_id):
    response = assessor.client.post("/api/assessments", data="station_id=1", headers=assessor.headers())
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]


def test_json_write_without_csrf_header_is_refused(assessor, station_id):
    response = assessor.client.post("/api/assessments", json={"station_id": station_id})
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_put_finding_answers_the_finding_and_new_totals(assessor, assessment_id):
    response = put(assessor, assessment_id, "1.1.1", outcome="full", note="")
    assert response.status_code == 200
    body = response.get_json()
    assert body["finding"]["outcome"] == "full"
    assert body["finding"]["score"] == 2
    assert body["score"] == 2
    assert body["categories"][0] == {"code": "1", "title": "岗位设置情况", "score": 2, "max_points": 11}
    assert "1.1.1" not in body["unscored"]


def test_put_finding_derives_outcome_from_problem_count(assessor, assessment_id):
    body = put(assessor, assessment_id, "4.1.1", inputs={"problems": 2}, note="两台设备故障").get_json()
    assert body["finding"]["outcome"] == "minus_2"
    assert body["finding"]["score"] == 1


def test_put_finding_derives_outcome_from_error_rate(assessor, assessment_id):
    body = put(
        assessor, assessment_id, "6.5.1", inputs={"papers_checked": 100, "papers_with_errors": 3}, note="3%"
    ).get_json()
    assert body["finding"]["outcome"] == "zero"
    assert body["finding"]["score"] == 0


def test_later_write_to_same_item_wins_and_audit_keeps_both(app, assessor, assessment_id):
    put(assessor, assessment_id, "1.1.1", outcome="full")
    body = put(assessor, assessment_id, "1.1.1", outcome="zero", note="无任命文件").get_json()
    assert body["finding"]["score"] == 0
    with app.app_context():
        assert db.session.query(Finding).filter_by(assessment_id=assessment_id).count() == 1
        events = db.session.query(AuditEvent).filter_by(action="finding.set", subject="1.1.1").all()
        assert [e.after["outcome"] for e in events] == ["full", "zero"]
        assert events[1].before["outcome"] == "full"


@pytest.mark.parametrize(
    "item_id, payload, status",
    [
        ("9.9.9", {"outcome": "full"}, 404),
        ("1.1.1", {"outcome": "half"}, 422),
        ("1.1.1", {}, 422),
        ("1.1.1", {"outcome": 2}, 422),
        ("1.1.1", {"outcome": "full", "note": ["x"]}, 422),
        ("1.1.1", {"inputs": {"problems": 1}}, 422),
        ("4.1.1", {"inputs": {"problems": -1}}, 422),
        ("4.1.1", {"inputs": {"problems": "2"}}, 422),
        ("4.1.1", {"inputs": {"problems": 1}, "outcome": "full"}, 422),
        ("6.5.1", {"inputs": {"papers_checked": 0, "papers_with_errors": 0}}, 422),
        ("6.5.1", {"inputs": {"papers_checked": 5, "papers_with_errors": 6}}, 422),
        ("6.3.2", {"outcome": "not_applicable", "note": "  "}, 422),
        ("1.1.1", {"outcome": "full", "mutation_id": "not-a-uuid"}, 422),
        ("1.1.1", {"outcome": "full", "note": "长" * 4001}, 422),
    ],
)
def test_bad_finding_is_rejected_and_changes_nothing(app, assessor, assessment_id, item_id, payload, status):
    put(assessor, assessment_id, "1.1.1", outcome="zero", note="原记录")
    response = put(assessor, assessment_id, item_id, **payload)
    assert response.status_code == status
    assert response.get_json()["error"]
    body = assessor.client.get(f"/api/assessments/{assessment_id}").get_json()
    assert [(f["item_id"], f["outcome"], f["note"]) for f in body["findings"]] == [
        ("1.1.1", "zero", "原记录")
    ]


def test_scoring_errors_are_explained_in_chinese(assessor, assessment_id):
    response = put(assessor, assessment_id, "6.3.2", outcome="not_applicable", note="")
    assert "不适用" in response.get_json()["error"]
    assert response.get_json()["code"] == "reason_required"


def test_not_applicable_with_reason_counts_full_points(assessor, assessment_id):
    body = put(assessor, assessment_id, "6.3.2", outcome="not_applicable", note="均有国家题库").get_json()
    assert body["finding"]["score"] == 3
    assert body["score"] == 3


def test_same_mutation_sent_twice_is_applied_once_and_answered_the_same(app, assessor, assessment_id):
    mutation_id = str(uuid.uuid4())
    first = put(assessor, assessment_id, "1.1.1", outcome="zero", note="无文件", mutation_id=mutation_id)
    second = put(assessor, assessment_id, "1.1.1", outcome="zero", note="无文件", mutation_id=mutation_id)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="finding.set").count() == 1


def test_retried_mutation_is_not_applied_over_a_later_change(assessor, assessment_id):
    mutation_id = str(uuid.uuid4())
    put(assessor, assessment_id, "1.1.1", outcome="zero", note="旧", mutation_id=mutation_id)
    put(assessor, assessment_id, "1.1.1", outcome="full")
    put(assessor, assessment_id, "1.1.1", outcome="zero", note="旧", mutation_id=mutation_id)
    body = assessor.client.get(f"/api/assessments/{assessment_id}").get_json()
    assert body["findings"][0]["outcome"] == "full"


def test_mutation_id_reused_for_a_different_change_is_rejected(assessor, assessment_id):
    mutation_id = str(uuid.uuid4())
    put(assessor, assessment_id, "1.1.1", outcome="full", mutation_id=mutation_id)
    response = put(assessor, assessment_id, "1.2.1", outcome="full", mutation_id=mutation_id)
    assert response.status_code == 422


def test_get_assessment_reports_totals_findings_and_unscored(assessor, assessment_id):
    put(assessor, assessment_id, "4.1.1", inputs={"problems": 1}, note="防护罩缺失")
    body = assessor.client.get(f"/api/assessments/{assessment_id}").get_json()
    assert body["score"] == 2
    assert body["findings"][0]["item_id"] == "4.1.1"
    assert body["deductions"] == [{"item_id": "4.1.1", "deduction": 1, "note": "防护罩缺失"}]
    assert len(body["unscored"]) == 60
    assert next(c for c in body["categories"] if c["code"] == "4") == {
        "code": "4",
        "title": "设备设施",
        "score": 2,
        "max_points": 5,
    }


def test_finalize_refuses_while_items_are_unscored(assessor, assessment_id):
    put(assessor, assessment_id, "1.1.1", outcome="full")
    response = assessor.post_json(f"/api/assessments/{assessment_id}/finalize")
    assert response.status_code == 422
    assert len(response.get_json()["unscored"]) == 60


def test_finalize_refuses_deduction_without_note(assessor, assessment_id):
    score_everything_full(assessor, assessment_id)
    put(assessor, assessment_id, "1.1.1", outcome="zero")
    response = assessor.post_json(f"/api/assessments/{assessment_id}/finalize")
    assert response.status_code == 422
    assert response.get_json()["missing_notes"] == ["1.1.1"]


def test_finalize_locks_the_assessment(assessor, assessment_id):
    score_everything_full(assessor, assessment_id)
    response = assessor.post_json(f"/api/assessments/{assessment_id}/finalize")
    assert response.status_code == 200
    assert response.get_json()["status"] == "finalized"
    assert response.get_json()["score"] == 100
    late = put(assessor, assessment_id, "1.1.1", outcome="zero", note="迟到的修改")
    assert late.status_code == 409
    assert late.get_json()["error"]
    assert assessor.post_json(f"/api/assessments/{assessment_id}/finalize").status_code == 409
    assert assessor.client.get(f"/api/assessments/{assessment_id}").get_json()["score"] == 100


def test_unknown_assessment_is_404(assessor):
    assert assessor.client.get("/api/assessments/999").status_code == 404
    assert put(assessor, 999, "1.1.1", outcome="full").status_code == 404


def test_staff_cannot_write(auth, make_user, station_id):
    make_user("staff", role="staff", station_id=station_id)
    auth.login("staff")
    response = auth.post_json("/api/assessments", {"station_id": station_id})
    assert response.status_code == 403
    assert response.get_json()["error"]


def test_staff_sees_own_finalized_assessment_only(
    client, auth, make_user, make_station, assessor, assessment_id
):
    other_station = make_station("S002", "第二鉴定站")
    other_id = assessor.post_json("/api/assessments", {"station_id": other_station}).get_json()["id"]
    score_everything_full(assessor, assessment_id)
    score_everything_full(assessor, other_id)
    assessor.logout()
    make_user("staff", role="staff", station_id=1)
    auth.login("staff")
    assert client.get(f"/api/assessments/{assessment_id}").status_code == 404, "in progress stays hidden"
    auth.logout()
    auth.login("assessor")
    auth.post_json(f"/api/assessments/{assessment_id}/finalize")
    auth.post_json(f"/api/assessments/{other_id}/finalize")
    auth.logout()
    auth.login("staff")
    assert client.get(f"/api/assessments/{assessment_id}").status_code == 200
    response = client.get(f"/api/assessments/{other_id}")
    assert response.status_code == 404
    assert "findings" not in response.get_json()


def test_admin_can_do_what_an_assessor_can(auth, make_user, station_id):
    make_user("boss", role="admin")
    auth.login("boss")
    assert auth.post_json("/api/assessments", {"station_id": station_id}).status_code == 201


def test_deactivated_station_cannot_be_assessed(app, assessor, station_id):
    with app.app_context():
        db.session.get(Station, station_id).active = False
        db.session.commit()
    response = assessor.post_json("/api/assessments", {"station_id": station_id})
    assert response.status_code == 422


def test_me_names_the_sessions_user_so_a_phone_knows_whose_outbox_it_may_send(assessor):
    me = assessor.client.get("/api/me").get_json()
    assert me["username"] == "assessor"
    assert isinstance(me["id"], int)


def test_each_page_names_its_user_as_me_does(assessor):
    """The page's scripts and the outbox read the user from the page, the sync engine from /api/me."""
    page = assessor.client.get("/assess/").get_data(as_text=True)
    page_user = page.split('<script type="application/json" id="page-user">')[1].split("</script>")[0]
    assert json.loads(page_user) == assessor.client.get("/api/me").get_json()


def test_a_change_queued_by_another_user_on_the_phone_is_refused_and_changes_nothing(
    app, assessor, assessment_id, make_user
):
    other_id = make_user("colleague")
    me = assessor.client.get("/api/me").get_json()
    refused = put(assessor, assessment_id, "1.1.1", outcome="zero", note="别人的记录", author=other_id)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "author"
    with app.app_context():
        assert db.session.scalar(db.select(Finding).filter_by(item_id="1.1.1")) is None
    own = put(assessor, assessment_id, "1.1.1", outcome="zero", note="自己的记录", author=me["id"])
    assert own.status_code == 200
