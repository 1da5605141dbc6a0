"""No team change is lost silently: a result based on an older revision of an item than a
teammate's newer result does not replace it; it is audited, answered 409 and can be applied anew."""

import io
import json
import threading
import uuid

import pytest

from app.extensions import db
from app.models import AuditEvent, Finding
from tests.conftest import Auth, csrf_token_from

ITEM = "1.1.1"
# The form's words for 1.1.1's full points.
FULL_LABEL = "职责明确且未发现问题"


@pytest.fixture
def teammate(app, make_user, assessment_id):
    """A second assessor of the same team, logged in on their own phone."""
    make_user("teammate")
    auth = Auth(app.test_client())
    auth.login("teammate")
    return auth


def put(auth, assessment_id, item_id=ITEM, **payload):
    return auth.put_json(f"/api/assessments/{assessment_id}/findings/{item_id}", payload)


def stored(app, assessment_id, item_id=ITEM) -> Finding:
    with app.app_context():
        return db.session.scalar(db.select(Finding).filter_by(assessment_id=assessment_id, item_id=item_id))


def not_applied_events(app, assessment_id) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(
            db.select(AuditEvent).filter_by(assessment_id=assessment_id, action="finding.not_applied")
        ).all()


def test_each_applied_result_raises_the_items_revision(assessor, assessment_id):
    first = put(assessor, assessment_id, outcome="zero", note="无制度", based_on=0).get_json()
    second = put(assessor, assessment_id, outcome="full", based_on=first["finding"]["revision"]).get_json()
    assert (first["finding"]["revision"], second["finding"]["revision"]) == (1, 2)


def test_an_older_based_result_of_a_teammate_is_refused_and_audited(app, assessor, teammate, assessment_id):
    assert put(teammate, assessment_id, outcome="full", based_on=0).status_code == 200

    late = put(
        assessor, assessment_id, outcome="zero", note="主任未到岗", based_on=0, mutation_id=str(uuid.uuid4())
    )

    assert late.status_code == 409
    body = late.get_json()
    assert body["code"] == "not_applied" and "Teammate" in body["error"]
    current = body["current"]
    assert (current["outcome"], current["outcome_label"], current["by"]) == ("full", FULL_LABEL, "Teammate")
    assert current["revision"] == 1 and current["at"].endswith("Z")
    finding = stored(app, assessment_id)
    assert (finding.outcome, finding.revision) == ("full", 1)
    [event] = not_applied_events(app, assessment_id)
    assert event.after["outcome"] == "zero" and event.after["based_on"] == 0
    assert event.before["outcome"] == "full"


def test_the_refused_result_applies_when_sent_again_on_the_current_revision(
    app, assessor, teammate, assessment_id
):
    put(teammate, assessment_id, outcome="full", based_on=0)
    current = put(assessor, assessment_id, outcome="zero", note="主任未到岗", based_on=0).get_json()[
        "current"
    ]

    again = put(assessor, assessment_id, outcome="zero", note="主任未到岗", based_on=current["revision"])

    assert again.status_code == 200
    assert again.get_json()["finding"]["revision"] == 2
    assert stored(app, assessment_id).outcome == "zero"


def test_the_same_users_older_based_result_applies_as_today(app, assessor, assessment_id):
    put(assessor, assessment_id, outcome="full", based_on=0)
    response = put(assessor, assessment_id, outcome="zero", note="再看一遍，有问题", based_on=0)
    assert response.status_code == 200
    assert stored(app, assessment_id).outcome == "zero"


def test_a_result_sent_without_a_revision_applies_as_today(app, assessor, teammate, assessment_id):
    put(teammate, assessment_id, outcome="full", based_on=0)
    response = put(assessor, assessment_id, outcome="zero", note="旧手机")
    assert response.status_code == 200
    assert stored(app, assessment_id).outcome == "zero"
    assert not_applied_events(app, assessment_id) == []


def test_a_replay_of_the_refused_mutation_gets_the_same_answer_and_changes_nothing(
    app, assessor, teammate, assessment_id
):
    put(teammate, assessment_id, outcome="full", based_on=0)
    change = {"outcome": "zero", "note": "主任未到岗", "based_on": 0, "mutation_id": str(uuid.uuid4())}
    first = put(assessor, assessment_id, **change)
    put(teammate, assessment_id, outcome="zero", note="队友又看了一遍", based_on=1)

    replay = put(assessor, assessment_id, **change)

    assert (replay.status_code, replay.get_json()) == (first.status_code, first.get_json())
    assert len(not_applied_events(app, assessment_id)) == 1
    assert stored(app, assessment_id).note == "队友又看了一遍"


def test_results_sent_together_answer_each_refusal_on_its_own(app, assessor, teammate, assessment_id):
    put(teammate, assessment_id, outcome="full", based_on=0)
    changes = [
        {"item_id": ITEM, "outcome": "zero", "note": "旧的", "based_on": 0, "mutation_id": str(uuid.uuid4())},
        {"item_id": "1.2.1", "outcome": "full", "based_on": 0, "mutation_id": str(uuid.uuid4())},
    ]
    response = assessor.post_json(f"/api/assessments/{assessment_id}/findings", {"findings": changes})
    assert [(r["item_id"], r["status"]) for r in response.get_json()["results"]] == [
        (ITEM, 409),
        ("1.2.1", 200),
    ]
    assert stored(app, assessment_id).outcome == "full"


@pytest.mark.parametrize("based_on", [-1, "one", True, 1.5, [1]])
def test_a_revision_that_is_not_one_is_refused_and_changes_nothing(app, assessor, assessment_id, based_on):
    response = put(assessor, assessment_id, outcome="full", based_on=based_on)
    assert response.status_code == 422
    assert response.get_json()["field"] == "based_on"
    assert stored(app, assessment_id) is None


def item_page(auth, assessment_id, item_id=ITEM) -> str:
    return auth.client.get(f"/assess/{assessment_id}/items/{item_id}").get_data(as_text=True)


def post_item(auth, assessment_id, **fields):
    page = item_page(auth, assessment_id)
    data = {"csrf_token": csrf_token_from(page), **fields}
    return auth.client.post(f"/assess/{assessment_id}/items/{ITEM}", data=data)


def test_the_item_page_carries_the_revision_it_shows(assessor, teammate, assessment_id):
    assert 'name="based_on" value="0"' in item_page(assessor, assessment_id)
    put(teammate, assessment_id, outcome="full", based_on=0)
    assert 'name="based_on" value="1"' in item_page(assessor, assessment_id)


def test_a_form_post_based_on_an_older_revision_shows_the_teammates_result_and_applies_in_one_tap(
    app, assessor, teammate, assessment_id
):
    put(teammate, assessment_id, outcome="full", based_on=0)

    refused = post_item(assessor, assessment_id, outcome="zero", note="主任未到岗", based_on="0")

    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "Teammate" in html and FULL_LABEL in html and 'name="apply_mine"' in html
    assert "主任未到岗" in html, "the assessor's own result stays in the form"
    assert 'name="based_on" value="1"' in html
    assert stored(app, assessment_id).outcome == "full"
    applied = post_item(
        assessor, assessment_id, outcome="zero", note="主任未到岗", based_on="1", apply_mine="1"
    )
    assert applied.status_code == 302
    assert stored(app, assessment_id).outcome == "zero"


def test_a_form_post_without_a_revision_applies_as_today(app, assessor, teammate, assessment_id):
    put(teammate, assessment_id, outcome="full", based_on=0)
    assert post_item(assessor, assessment_id, outcome="zero", note="无").status_code == 302
    assert stored(app, assessment_id).outcome == "zero"


def test_two_teammates_saving_at_once_on_one_revision_leave_one_result_and_one_refusal(
    app, assessor, teammate, assessment_id
):
    answers = []

    def send(auth, outcome):
        answers.append(put(auth, assessment_id, outcome=outcome, note="同时", based_on=0).status_code)

    threads = [
        threading.Thread(target=send, args=(a, o)) for a, o in ((assessor, "zero"), (teammate, "full"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200, 409]
    assert stored(app, assessment_id).revision == 1
    assert len(not_applied_events(app, assessment_id)) == 1


def test_an_imported_outbox_entry_based_on_an_older_revision_is_reported_refused_and_audited(
    app, make_user, assessor, teammate, assessment_id
):
    make_user("boss", role="admin")
    admin = Auth(app.test_client())
    admin.login("boss")
    put(teammate, assessment_id, outcome="full", based_on=0)
    entry = {
        "seq": 1,
        "kind": "finding",
        "mutation_id": str(uuid.uuid4()),
        "assessment_id": str(assessment_id),
        "item_id": ITEM,
        "payload": {"outcome": "zero", "inputs": None, "note": "离线记录", "based_on": 0},
    }
    data = json.dumps(
        {"format": "assessment-outbox", "version": 1, "exported_by": "assessor", "entries": [entry]}
    )
    response = admin.client.post(
        "/admin/outbox-import",
        data={"csrf_token": admin.token, "file": (io.BytesIO(data.encode()), "outbox.json")},
        content_type="multipart/form-data",
    )
    assert "Teammate" in response.get_data(as_text=True)
    assert stored(app, assessment_id).outcome == "full"
    assert len(not_applied_events(app, assessment_id)) == 1
