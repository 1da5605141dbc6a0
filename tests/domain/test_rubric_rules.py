"""The rules a form states as data: where 不适用 is offered and what it does, whether it needs a
reason, a dependency between items, and the limits of counted inputs."""

import pytest

from rubric import (
    MAX_COUNT,
    NOT_APPLICABLE,
    ZERO,
    Result,
    RubricError,
    ScoringError,
    default_registry,
    derive_outcome,
    load_rubric_data,
    resolve_outcome,
    rubric_data,
    score,
)

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
FORM_1 = default_registry().get("station-quality", "1")
FORM_1_1 = default_registry().get("station-quality", "1.1")
OFFERED_IN_1_1 = [
    "1.5.2",
    "1.5.3",
    "2.1.4",
    "2.1.8",
    "3.3.1",
    "3.4.1",
    "3.6.1",
    "4.1.1",
    "4.2.1",
    "6.3.2",
    "6.4.2",
    "6.5.1",
    "6.6.1",
    "7.1.1",
]


def findings(form, **outcomes):
    """Every item full, except those named (dots written as underscores), with a note on each."""
    return [Result(i.id, outcomes.get(i.id.replace(".", "_"), "full"), note="理由") for i in form.items]


def error_code(call):
    with pytest.raises(ScoringError) as raised:
        call()
    return raised.value.code


def edited_form(edit, form=FORM_1_1):
    data = rubric_data(form)
    edit({item["id"]: item for c in data["categories"] for g in c["groups"] for item in g["items"]})
    return load_rubric_data(data)


# --- 不适用 in version 1.1 ---------------------------------------------------------------


def test_1_1_offers_not_applicable_only_on_the_items_it_names():
    offered = [item.id for item in FORM_1_1.items if item.allows_not_applicable]
    assert offered == OFFERED_IN_1_1
    assert FORM_1_1.item("6.3.2").not_applicable == "full_points"
    assert {FORM_1_1.item(i).not_applicable for i in OFFERED_IN_1_1 if i != "6.3.2"} == {"scale_category"}


def test_each_item_offering_not_applicable_says_why():
    assert all(FORM_1_1.item(item_id).why for item_id in OFFERED_IN_1_1 + ["9.1.2"])


def test_version_1_finalized_all_not_applicable_at_100_and_1_1_refuses_it():
    all_not_applicable = [Result(i.id, NOT_APPLICABLE, note="不适用") for i in FORM_1.items]
    assert score(FORM_1, all_not_applicable).total == 100
    assert error_code(lambda: score(FORM_1_1, all_not_applicable)) == "unknown_outcome"
    refused = [i.id for i in FORM_1_1.items if i.id not in OFFERED_IN_1_1]
    for item_id in refused:
        with pytest.raises(ScoringError) as raised:
            resolve_outcome(FORM_1_1.item(item_id), NOT_APPLICABLE, None, "不适用")
        assert raised.value.code == "not_applicable_not_allowed", item_id


def test_not_applicable_wherever_offered_gains_nothing_for_failing_items():
    """Everything that applies lost, everything else 不适用: only 6.3.2's full points and the
    categories with nothing left to assess remain (4: both items left out; 7: its one item), as a
    category whose every item is left out loses nothing."""
    outcomes = {i.id: NOT_APPLICABLE if i.id in OFFERED_IN_1_1 else "zero" for i in FORM_1_1.items}
    card = score(FORM_1_1, [Result(item_id, outcome, note="理由") for item_id, outcome in outcomes.items()])
    assert card.total == 3 + 5 + 2
    assert [c.category.code for c in card.categories if c.score] == ["4", "6", "7"]
    assert card.is_complete


def test_not_applicable_scales_its_category_on_the_items_that_apply():
    card = score(FORM_1_1, findings(FORM_1_1, **{"1_1_1": "zero", "1_5_2": NOT_APPLICABLE}))
    category_1 = card.categories[0]
    assert (category_1.score, category_1.deduction, category_1.scaled) == (9, 2, True), "8 of 10 -> 8.8 of 11"
    assert card.items["1.5.2"].left_out
    assert card.total == 100 - 2


def test_not_applicable_on_6_3_2_keeps_its_full_points():
    card = score(FORM_1_1, findings(FORM_1_1, **{"6_3_2": NOT_APPLICABLE}))
    assert (card.items["6.3.2"].score, card.total) == (3, 100)


# --- the reason for 不适用 -----------------------------------------------------------------


def test_not_applicable_needs_a_reason_by_default():
    item = FORM_1_1.item("7.1.1")
    assert item.not_applicable_reason_required
    assert error_code(lambda: resolve_outcome(item, NOT_APPLICABLE, None, "  ")) == "reason_required"
    card = score(FORM_1_1, [Result("7.1.1", NOT_APPLICABLE)])
    assert card.missing_notes == ("7.1.1",)


def test_a_form_can_waive_the_reason_for_not_applicable():
    def edit(items):
        items["7.1.1"]["not_applicable_reason_required"] = False

    form = edited_form(edit)
    item = form.item("7.1.1")
    assert resolve_outcome(item, NOT_APPLICABLE, None, "") == NOT_APPLICABLE
    assert score(form, [Result("7.1.1", NOT_APPLICABLE)]).missing_notes == ()
    assert (
        error_code(lambda: resolve_outcome(form.item("6.5.1"), NOT_APPLICABLE, None, "")) == "reason_required"
    )


# --- a dependency between items -----------------------------------------------------------


def test_9_1_2_scores_0_while_9_1_1_is_0_and_says_why():
    card = score(FORM_1_1, findings(FORM_1_1, **{"9_1_1": "zero"}))
    plan = card.items["9.1.2"]
    assert (plan.outcome.key, plan.score, plan.deduction) == ("full", 0, 5)
    assert (plan.zero_because_of, plan.kind) == ("9.1.1", ZERO)
    assert not plan.needs_note, "the rule, not the assessor, took the points"
    assert card.total == 100 - 3 - 5
    assert card.categories[8].score == 2
    assert plan in card.deductions


def test_9_1_2_keeps_its_points_once_9_1_1_is_met():
    card = score(FORM_1_1, findings(FORM_1_1, **{"9_1_2": "partial"}))
    plan = card.items["9.1.2"]
    assert (plan.score, plan.zero_because_of) == (2, None)
    assert card.total == 97


def test_the_dependency_does_not_depend_on_the_order_of_findings():
    ordered = findings(FORM_1_1, **{"9_1_1": "zero"})
    assert score(FORM_1_1, list(reversed(ordered))).total == score(FORM_1_1, ordered).total == 92


def test_version_1_has_no_dependency():
    assert score(FORM_1, findings(FORM_1, **{"9_1_1": "zero"})).total == 97


def test_a_dependency_can_name_any_outcomes_of_another_item():
    def edit(items):
        items["5.2.1"]["depends_on"] = {"item": "5.1.1", "outcomes": ["partial", "zero"]}

    form = edited_form(edit)
    for outcome, points in (("full", 2), ("partial", 0), ("zero", 0)):
        card = score(form, findings(form, **{"5_1_1": outcome}))
        assert card.items["5.2.1"].score == points, outcome
    assert score(form, [Result("5.2.1", "full")]).items["5.2.1"].score == 2, "5.1.1 not scored yet"


def test_an_item_left_out_as_not_applicable_stays_left_out_under_a_dependency():
    def edit(items):
        items["7.1.1"]["depends_on"] = {"item": "9.1.1", "outcomes": ["zero"]}

    form = edited_form(edit)
    card = score(form, findings(form, **{"9_1_1": "zero", "7_1_1": NOT_APPLICABLE}))
    assert card.items["7.1.1"].left_out and card.items["7.1.1"].zero_because_of is None


# --- limits of counted inputs -------------------------------------------------------------


def test_each_counted_input_takes_its_own_limit_from_the_form():
    def edit(items):
        items["6.5.1"]["derive"]["limits"] = {"papers_with_errors": 500}

    item = edited_form(edit).item("6.5.1")
    assert [(spec.name, spec.maximum) for spec in item.inputs] == [
        ("papers_checked", 100000),
        ("papers_with_errors", 500),
    ]
    assert derive_outcome(item, {"papers_checked": 5000, "papers_with_errors": 500})[0] == "zero"
    with pytest.raises(ScoringError) as raised:
        derive_outcome(item, {"papers_checked": 5000, "papers_with_errors": 501})
    assert (raised.value.code, raised.value.params["input"], raised.value.params["maximum"]) == (
        "input_too_large",
        "papers_with_errors",
        500,
    )


def test_an_input_without_a_limit_keeps_todays():
    def edit(items):
        del items["4.1.1"]["derive"]["max_count"]

    item = edited_form(edit).item("4.1.1")
    assert item.inputs[0].maximum is None
    assert derive_outcome(item, {"problems": MAX_COUNT})[0] == "zero"
    assert error_code(lambda: derive_outcome(item, {"problems": MAX_COUNT + 1})) == "invalid_input"
    assert FORM_1_1.item("4.1.1").inputs[0].maximum == 99


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"serious": 1}, "unexpected key 'serious'"),
        ({"problems": MAX_COUNT + 1}, f"'problems' must be at most {MAX_COUNT}"),
        ({}, "'limits' must be a table of counted inputs"),
    ],
)
def test_a_limit_must_name_a_counted_input_and_a_count(limits, message):
    def edit(items):
        items["5.1.1"]["derive"]["limits"] = limits

    with pytest.raises(RubricError) as raised:
        edited_form(edit)
    (problem,) = raised.value.problems
    assert problem.location.path.startswith("categories[4].groups[0].items[0].derive.limits")
    assert message in problem.message
