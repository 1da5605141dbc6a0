"""Counts that contradict themselves or pass the form's stated maximum are refused, not scored."""

import pytest

from rubric import ScoringError, default_registry, resolve_outcome

FORM = default_registry().get("station-quality", "1")


def refusal(item_id, inputs) -> ScoringError:
    with pytest.raises(ScoringError) as refused:
        resolve_outcome(FORM.item(item_id), None, inputs, "")
    return refused.value


def test_a_serious_problem_needs_a_problem():
    error = refusal("5.1.1", {"problems": 0, "serious": True})
    assert error.code == "serious_without_problem"
    assert resolve_outcome(FORM.item("5.1.1"), None, {"problems": 1, "serious": True}, "") == "zero"


def test_every_counted_item_of_the_form_states_a_maximum():
    counted = [item for item in FORM.items if item.derive is not None]
    assert counted
    for item in counted:
        assert all(spec.maximum for spec in item.inputs if spec.type == "int"), item.id


@pytest.mark.parametrize(
    "item_id, inputs, name",
    [
        ("4.1.1", {"problems": 10**30}, "problems"),
        ("5.1.1", {"problems": 10**6, "serious": False}, "problems"),
        ("6.5.1", {"papers_checked": 10**12, "papers_with_errors": 1}, "papers_checked"),
    ],
)
def test_a_count_above_the_stated_maximum_is_refused(item_id, inputs, name):
    error = refusal(item_id, inputs)
    assert error.code == "input_too_large" and error.params["input"] == name
    spec = next(spec for spec in FORM.item(item_id).inputs if spec.name == name)
    assert error.params["maximum"] == spec.maximum
    at_most = {**inputs, name: spec.maximum}
    if item_id == "6.5.1":
        at_most["papers_with_errors"] = 1
    resolve_outcome(FORM.item(item_id), None, at_most, "")


def test_the_api_refuses_contradictory_counts_in_the_users_words(assessor, assessment_id):
    def put(item_id, inputs):
        return assessor.put_json(f"/api/assessments/{assessment_id}/findings/{item_id}", {"inputs": inputs})

    serious = put("5.1.1", {"problems": 0, "serious": True})
    assert serious.status_code == 422
    assert serious.get_json()["error"] == "标记了严重问题，却未发现问题：先填写发现的问题数。"
    huge = put("4.1.1", {"problems": 10**30})
    assert huge.status_code == 422
    assert "“发现的问题数”不能超过 99" in huge.get_json()["error"]
    assert put("4.1.1", {"problems": 3}).status_code == 200
