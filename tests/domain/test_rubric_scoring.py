import pytest

from rubric import (
    FULL,
    NOT_APPLICABLE,
    PARTIAL,
    ZERO,
    Result,
    ScoringError,
    default_registry,
    derive_outcome,
    load_rubric,
    resolve_outcome,
    score,
)
from tests import ROOT

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
FORM = default_registry().get("station-quality", "1")
FORM_PATH = ROOT / "rubric" / "forms" / "station-quality-1.toml"
BINARY_ITEM_IDS = [
    item.id
    for item in FORM.items
    if item.derive is None and [o.key for o in item.outcomes] == ["full", "zero", NOT_APPLICABLE]
]


def item(item_id):
    return FORM.item(item_id)


def points_for(item_id, inputs):
    key, _ = derive_outcome(item(item_id), inputs)
    return item(item_id).outcome(key).points


def all_full():
    return [Result(i.id, "full") for i in FORM.items]


def replaced(findings, *changes):
    by_id = {change.item_id: change for change in changes}
    return [by_id.get(finding.item_id, finding) for finding in findings]


def error_code(call):
    with pytest.raises(ScoringError) as raised:
        call()
    return raised.value.code


def test_most_items_are_binary():
    assert len(BINARY_ITEM_IDS) == 55


@pytest.mark.parametrize("item_id", BINARY_ITEM_IDS)
def test_binary_item_gives_all_or_nothing(item_id):
    assert score(FORM, [Result(item_id, "full")]).items[item_id].score == item(item_id).points
    assert score(FORM, [Result(item_id, "zero")]).items[item_id].score == 0


@pytest.mark.parametrize("item_id", BINARY_ITEM_IDS)
def test_binary_item_takes_no_counted_inputs(item_id):
    with pytest.raises(ScoringError) as raised:
        resolve_outcome(item(item_id), None, {"problems": 0}, "")
    assert raised.value.code == "inputs_not_accepted"


@pytest.mark.parametrize(("problems", "points"), [(0, 3), (1, 2), (2, 1), (3, 0), (4, 0)])
def test_equipment_loses_a_point_per_problem_and_all_from_three(problems, points):
    assert points_for("4.1.1", {"problems": problems}) == points


def test_problem_count_reason_shows_the_count():
    assert derive_outcome(item("4.1.1"), {"problems": 2}) == ("minus_2", {"problems": 2})


@pytest.mark.parametrize(("problems", "points"), [(0, 2), (1, 1), (2, 1), (3, 0), (4, 0)])
def test_venue_keeps_one_point_for_up_to_two_general_problems(problems, points):
    assert points_for("5.1.1", {"problems": problems}) == points


# A serious problem with none found is a contradiction, refused (tests/domain/test_rubric_counts.py).
@pytest.mark.parametrize("problems", [1, 2, 3])
def test_venue_serious_problem_gives_zero_whatever_the_count(problems):
    key, reason = derive_outcome(item("5.1.1"), {"problems": problems, "serious": True})
    assert key == "zero"
    assert reason == {"problems": problems, "serious": True}


def test_venue_serious_defaults_to_false():
    assert derive_outcome(item("5.1.1"), {"problems": 1}) == ("partial", {"problems": 1, "serious": False})


@pytest.mark.parametrize(
    ("checked", "with_errors", "points"),
    [(40, 0, 1), (40, 1, 1), (100, 3, 0), (100, 4, 0), (1, 1, 0), (1, 0, 1), (34, 1, 1), (33, 1, 0)],
)
def test_marking_error_rate_earns_the_point_only_below_three_percent(checked, with_errors, points):
    inputs = {"papers_checked": checked, "papers_with_errors": with_errors}
    assert points_for("6.5.1", inputs) == points


def test_error_rate_reason_shows_rate_and_threshold():
    _, reason = derive_outcome(item("6.5.1"), {"papers_checked": 40, "papers_with_errors": 1})
    assert reason == {
        "papers_checked": 40,
        "papers_with_errors": 1,
        "error_rate_percent": 2.5,
        "threshold_percent": 3,
    }


def test_error_rate_needs_papers_checked():
    inputs = {"papers_checked": 0, "papers_with_errors": 0}
    assert error_code(lambda: derive_outcome(item("6.5.1"), inputs)) == "papers_checked_zero"


def test_error_rate_refuses_more_errors_than_papers():
    inputs = {"papers_checked": 10, "papers_with_errors": 11}
    with pytest.raises(ScoringError) as raised:
        derive_outcome(item("6.5.1"), inputs)
    assert raised.value.code == "errors_exceed_checked"
    assert raised.value.params == {"item": "6.5.1", "papers_checked": 10, "papers_with_errors": 11}
    assert "11" in raised.value.message


@pytest.mark.parametrize(
    ("item_id", "inputs", "code"),
    [
        ("4.1.1", {"problems": True}, "invalid_input"),
        ("4.1.1", {"problems": "2"}, "invalid_input"),
        ("4.1.1", {"problems": 1.0}, "invalid_input"),
        ("4.1.1", {"problems": -1}, "invalid_input"),
        ("4.1.1", {}, "input_required"),
        ("5.1.1", {"problems": 1, "serious": 1}, "invalid_input"),
        ("5.1.1", {"serious": False}, "input_required"),
        ("6.5.1", {"papers_checked": True, "papers_with_errors": 0}, "invalid_input"),
        ("6.5.1", {"papers_checked": 10, "papers_with_errors": -1}, "invalid_input"),
        ("6.5.1", {"papers_checked": 10}, "input_required"),
        ("4.1.1", {"problem": 1}, "unknown_input"),
        ("4.1.1", {"problems": 1, "serious": True}, "unknown_input"),
        ("1.1.1", {"problems": 0}, "inputs_not_accepted"),
    ],
)
def test_derive_refuses_inputs_the_item_does_not_accept(item_id, inputs, code):
    assert error_code(lambda: derive_outcome(item(item_id), inputs)) == code


@pytest.mark.parametrize(
    ("inputs", "code", "name"),
    [
        ({"papers_with_errors": 1}, "input_required", "papers_checked"),
        ({"papers_checked": 10}, "input_required", "papers_with_errors"),
        ({"papers_checked": 10, "papers_with_errors": -1}, "invalid_input", "papers_with_errors"),
        ({"papers_checked": "ten", "papers_with_errors": 1}, "invalid_input", "papers_checked"),
    ],
)
def test_a_missing_count_and_a_bad_count_are_told_apart_and_named(inputs, code, name):
    with pytest.raises(ScoringError) as raised:
        derive_outcome(item("6.5.1"), inputs)
    assert (raised.value.code, raised.value.params["input"]) == (code, name)
    assert name in raised.value.message


@pytest.mark.parametrize(
    ("checked", "with_errors", "shown", "points"),
    [(967, 29, "2.99", 1), (1000, 30, "3", 0), (3001, 90, "2.99", 1), (997, 30, "3", 0), (40, 1, "2.5", 1)],
)
def test_the_shown_error_rate_is_never_rounded_across_the_threshold(checked, with_errors, shown, points):
    key, reason = derive_outcome(
        item("6.5.1"), {"papers_checked": checked, "papers_with_errors": with_errors}
    )
    assert str(reason["error_rate_percent"]) == shown
    assert (reason["error_rate_percent"] < 3) == (points == 1)
    assert item("6.5.1").outcome(key).points == points


def test_invalid_input_error_names_the_input():
    with pytest.raises(ScoringError) as raised:
        derive_outcome(item("4.1.1"), {"problems": True})
    assert raised.value.params["input"] == "problems"
    assert "problems" in raised.value.message


@pytest.mark.parametrize(("key", "points"), [("full", 3), ("minus_1", 2), ("minus_2", 1), ("zero", 0)])
def test_notice_tiers_leave_one_or_two_points_off_to_the_assessor(key, points):
    assert resolve_outcome(item("6.1.1"), key, None, "") == key
    assert score(FORM, [Result("6.1.1", key)]).items["6.1.1"].score == points


@pytest.mark.parametrize(
    ("item_id", "key", "points"),
    [
        ("5.2.1", "full", 2),
        ("5.2.1", "partial", 1),
        ("5.2.1", "zero", 0),
        ("9.1.2", "full", 5),
        ("9.1.2", "partial", 2),
        ("9.1.2", "zero", 0),
    ],
)
def test_judged_tiers_give_their_printed_points(item_id, key, points):
    assert score(FORM, [Result(item_id, key)]).items[item_id].score == points


def test_counted_inputs_decide_the_outcome():
    assert resolve_outcome(item("4.1.1"), None, {"problems": 1}, "") == "minus_1"


def test_explicit_outcome_agreeing_with_inputs_is_accepted():
    assert resolve_outcome(item("4.1.1"), "minus_1", {"problems": 1}, "") == "minus_1"


def test_explicit_outcome_disagreeing_with_inputs_is_a_mismatch():
    with pytest.raises(ScoringError) as raised:
        resolve_outcome(item("4.1.1"), "full", {"problems": 1}, "minor")
    assert raised.value.code == "outcome_mismatch"
    assert raised.value.params == {"item": "4.1.1", "outcome": "full", "derived": "minus_1"}


def test_assessor_who_disagrees_chooses_the_outcome_without_inputs():
    assert resolve_outcome(item("6.5.1"), "full", None, "3/100 but the one error was trivial") == "full"


@pytest.mark.parametrize("inputs", [None, {}])
def test_outcome_is_required_without_inputs(inputs):
    assert error_code(lambda: resolve_outcome(item("1.1.1"), None, inputs, "")) == "outcome_required"
    assert error_code(lambda: resolve_outcome(item("1.1.1"), "", inputs, "")) == "outcome_required"


def test_unknown_outcome_is_refused():
    assert error_code(lambda: resolve_outcome(item("1.1.1"), "partial", None, "")) == "unknown_outcome"


@pytest.mark.parametrize("note", ["", "   ", None])
def test_not_applicable_needs_a_written_reason(note):
    with pytest.raises(ScoringError) as raised:
        resolve_outcome(item("6.3.2"), NOT_APPLICABLE, None, note)
    assert raised.value.code == "reason_required"


def test_not_applicable_with_a_reason_is_accepted():
    note = "本所（站）鉴定职业均有国家题库"
    assert resolve_outcome(item("6.3.2"), NOT_APPLICABLE, None, note) == NOT_APPLICABLE


def test_not_applicable_keeps_full_points_and_is_no_deduction():
    findings = replaced(all_full(), Result("6.3.2", NOT_APPLICABLE, note="均有国家题库"))
    scorecard = score(FORM, findings)
    assert scorecard.items["6.3.2"].score == 3
    assert scorecard.items["6.3.2"].deduction == 0
    assert scorecard.total == 100
    assert scorecard.deductions == ()
    assert scorecard.missing_notes == ()


def test_all_full_scores_100_with_every_category_full():
    scorecard = score(FORM, all_full())
    assert (scorecard.total, scorecard.max_points) == (100, 100)
    assert [c.score for c in scorecard.categories] == [11, 14, 14, 5, 5, 32, 2, 7, 10]
    assert all(c.score == c.max_points and c.deduction == 0 for c in scorecard.categories)
    assert scorecard.deductions == ()
    assert scorecard.unscored == ()
    assert scorecard.is_complete


def test_category_subtotal_counts_scored_items_and_deductions():
    findings = [Result("4.1.1", "minus_1", {"problems": 1}), Result("4.2.1", "zero", note="台帐不清")]
    equipment = score(FORM, findings).categories[3]
    assert equipment.category.code == "4"
    assert (equipment.score, equipment.max_points) == (2, 5)
    assert (equipment.scored, equipment.total_items) == (2, 2)
    assert equipment.deduction == 3


def test_category_subtotal_of_a_partly_scored_category():
    posts = score(FORM, [Result("1.1.1", "full"), Result("1.5.2", "zero", note="无证书")]).categories[0]
    assert (posts.score, posts.scored, posts.total_items, posts.deduction) == (2, 2, 7, 1)


def test_deductions_are_listed_in_form_order():
    findings = replaced(
        all_full(),
        Result("9.1.2", "partial", note="落实不力"),
        Result("4.1.1", "minus_2", {"problems": 2}, note="两台设备故障"),
        Result("1.1.1", "zero", note="职责不清"),
    )
    scorecard = score(FORM, reversed(findings))
    assert [(d.item.id, d.outcome.key, d.deduction, d.note) for d in scorecard.deductions] == [
        ("1.1.1", "zero", 2, "职责不清"),
        ("4.1.1", "minus_2", 2, "两台设备故障"),
        ("9.1.2", "partial", 3, "落实不力"),
    ]
    assert scorecard.total == 93


def test_not_applicable_below_full_points_is_a_deduction(tmp_path):
    method_line = 'method = "抽查有关职业（工种）试卷。发现问题不得分。"'
    form_text = FORM_PATH.read_text(encoding="utf-8")
    assert form_text.count(method_line) == 1
    path = tmp_path / "form.toml"
    form_text = form_text.replace(method_line, method_line + "\nnot_applicable_points = 1")
    path.write_text(form_text, encoding="utf-8")

    scorecard = score(load_rubric(path), [Result("6.3.2", NOT_APPLICABLE, note="")])
    assert [(d.item.id, d.deduction) for d in scorecard.deductions] == [("6.3.2", 2)]


def form_with(tmp_path, item_id, setting):
    """The shipped form with one line added to an item, loaded from a copy."""
    form_text = FORM_PATH.read_text(encoding="utf-8")
    anchor = f'id = "{item_id}"\n'
    assert form_text.count(anchor) == 1
    path = tmp_path / "form.toml"
    path.write_text(form_text.replace(anchor, anchor + setting + "\n"), encoding="utf-8")
    return load_rubric(path)


def test_not_applicable_that_leaves_the_item_out_scales_its_category(tmp_path):
    form = form_with(tmp_path, "6.3.2", 'not_applicable = "scale_category"')
    findings = replaced(
        [Result(i.id, "full") for i in form.items],
        Result("6.3.2", NOT_APPLICABLE, note="均有国家题库"),
        Result("6.4.4", "zero", note="没有反馈单表"),
    )
    scorecard = score(form, findings)
    assert (scorecard.items["6.3.2"].score, scorecard.items["6.3.2"].deduction) == (0, 0)
    assert scorecard.items["6.3.2"].left_out
    category = scorecard.categories[5]
    # 28 of the 29 applicable points, scaled to 32: 30.9 gives 31, and 1 point lost.
    assert (category.score, category.deduction, category.scaled) == (31, 1, True)
    assert scorecard.total == 99
    assert [(d.item.id, d.deduction) for d in scorecard.deductions] == [("6.4.4", 1)]


def test_a_category_scaled_from_nothing_loses_nothing(tmp_path):
    form = form_with(tmp_path, "7.1.1", 'not_applicable = "scale_category"')
    category = score(form, [Result("7.1.1", NOT_APPLICABLE, note="无合格考生")]).categories[6]
    assert (category.score, category.deduction) == (2, 0)


def test_not_applicable_refused_where_the_item_always_applies(tmp_path):
    form = form_with(tmp_path, "1.1.1", 'not_applicable = "not_allowed"')
    with pytest.raises(ScoringError) as raised:
        resolve_outcome(form.item("1.1.1"), NOT_APPLICABLE, None, "没有所长")
    assert raised.value.code == "not_applicable_not_allowed"
    assert error_code(lambda: score(form, [Result("1.1.1", NOT_APPLICABLE, note="x")])) == "unknown_outcome"


def test_points_lost_so_far_add_up_the_categories_of_a_draft():
    scorecard = score(
        FORM, [Result("1.1.1", "zero", note="x"), Result("4.1.1", "minus_1"), Result("9.1.1", "full")]
    )
    assert scorecard.deduction_total == 3 == sum(c.deduction for c in scorecard.categories)
    assert scorecard.max_points - scorecard.total != scorecard.deduction_total


def test_items_without_a_finding_are_unscored_in_form_order():
    findings = [f for f in all_full() if f.item_id not in {"9.2.1", "2.1.6", "6.2.3"}]
    scorecard = score(FORM, findings)
    assert scorecard.unscored == ("2.1.6", "6.2.3", "9.2.1")
    assert not scorecard.is_complete
    assert scorecard.total == 100 - 1 - 2 - 2


def test_no_findings_leaves_everything_unscored():
    scorecard = score(FORM, [])
    assert len(scorecard.unscored) == 61
    assert scorecard.total == 0
    assert scorecard.items == {}


def test_deductions_and_not_applicable_without_notes_are_listed():
    findings = replaced(
        all_full(),
        Result("3.3.1", "zero", note="  "),
        Result("1.2.1", "zero"),
        Result("6.3.2", NOT_APPLICABLE),
        Result("7.1.1", "zero", note="上报延迟"),
    )
    assert score(FORM, findings).missing_notes == ("1.2.1", "3.3.1", "6.3.2")


def test_findings_for_unknown_items_are_refused():
    assert error_code(lambda: score(FORM, [Result("10.1.1", "full")])) == "unknown_item"


def test_findings_with_unknown_outcomes_are_refused():
    with pytest.raises(ScoringError) as raised:
        score(FORM, [Result("1.1.1", "minus_1")])
    assert raised.value.code == "unknown_outcome"
    assert raised.value.params == {"item": "1.1.1", "outcome": "minus_1"}


def test_two_findings_for_one_item_are_refused():
    findings = [Result("1.1.1", "full"), Result("1.1.1", "zero")]
    assert error_code(lambda: score(FORM, findings)) == "duplicate_finding"


def test_outcome_kind_is_full_partial_zero_or_not_applicable():
    notice = item("6.1.1")
    kinds = {o.key: notice.kind_of(o) for o in notice.outcomes}
    assert kinds == {
        "full": FULL,
        "minus_1": PARTIAL,
        "minus_2": PARTIAL,
        "zero": ZERO,
        NOT_APPLICABLE: NOT_APPLICABLE,
    }


def test_a_problem_found_loses_points_and_every_deduction_or_not_applicable_needs_a_note():
    card = score(FORM, [Result("4.1.1", "minus_1", {"problems": 1}), Result("6.3.2", NOT_APPLICABLE)])
    counted, not_applicable = card.items["4.1.1"], card.items["6.3.2"]
    assert (counted.kind, counted.problem_found, counted.needs_note) == (PARTIAL, True, True)
    assert (not_applicable.kind, not_applicable.problem_found, not_applicable.needs_note) == (
        NOT_APPLICABLE,
        False,
        True,
    )
