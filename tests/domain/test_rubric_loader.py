import subprocess
import sys

import pytest

from rubric import (
    NA_FULL_POINTS,
    NA_SCALE_CATEGORY,
    NOT_APPLICABLE,
    RubricError,
    RubricRegistry,
    default_registry,
    load_rubric,
)
from tests import ROOT

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
PROJECT_ROOT = ROOT
SHIPPED_FORM = PROJECT_ROOT / "rubric" / "forms" / "station-quality-1.toml"

VALID_TOML = """
id = "test-form"
version = "1"
title = "测试表"
max_points = 100

[[categories]]
code = "1"
title = "甲类"
points = 60

[[categories.groups]]
code = "1.1"
title = "甲组"
table = "表1-1"

[[categories.groups.items]]
id = "1.1.1"
code = "1.1.1"
text = "小项一"
points = 60
method = "发现问题不得分。"
outcomes = [
  { key = "full", label = "未发现问题", points = 60 },
  { key = "zero", label = "发现问题", points = 0 },
]

[[categories]]
code = "2"
title = "乙类"
points = 40

[[categories.groups]]
code = "2.1"
title = "乙组"
table = "表1-2"

[[categories.groups.items]]
id = "2.1.1"
code = "2.1.1"
text = "小项二"
points = 30
method = "发现1个问题扣10分；2个问题以上不得分。"
outcomes = [
  { key = "full", label = "未发现问题", points = 30 },
  { key = "minus_10", label = "发现1个问题", points = 20 },
  { key = "zero", label = "发现2个问题以上", points = 0 },
]

[categories.groups.items.derive]
kind = "problem_count"
bands = [{ max = 0, outcome = "full" }, { max = 1, outcome = "minus_10" }]
otherwise = "zero"

[[categories.groups.items]]
id = "2.1.2"
code = "2.1.2"
text = "小项三"
points = 10
method = "差错率低于3%的得10分；高于3%的不得分。"
outcomes = [
  { key = "full", label = "差错率低于3%", points = 10 },
  { key = "zero", label = "差错率高于3%", points = 0 },
]
derive = { kind = "error_rate", threshold_percent = 3, below = "full", otherwise = "zero" }
"""

FULL_OUTCOME_1 = '{ key = "full", label = "未发现问题", points = 60 }'
ZERO_OUTCOME_2 = '{ key = "zero", label = "发现2个问题以上", points = 0 }'
MINUS_10 = '{ key = "minus_10", label = "发现1个问题", points = 20 }'
NOT_APPLICABLE_OUTCOME = '{ key = "not_applicable", label = "不适用", points = 60 }'
ITEM_1_POINTS = 'points = 60\nmethod = "发现问题不得分。"'


def write_form(tmp_path, text, name="form.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(*replacements):
    text = VALID_TOML
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def form():
    return load_rubric(SHIPPED_FORM)


def test_shipped_form_loads_with_its_identity(form):
    assert (form.id, form.version, form.max_points) == ("station-quality", "1", 100)
    assert form.title == "职业技能鉴定所（站）质量管理评估表（试行）"


def test_shipped_form_has_61_items(form):
    assert len(form.items) == 61


def test_category_points_match_the_printed_form(form):
    assert [c.code for c in form.categories] == [str(n) for n in range(1, 10)]
    assert [c.points for c in form.categories] == [11, 14, 14, 5, 5, 32, 2, 7, 10]
    assert sum(c.points for c in form.categories) == 100


def test_each_category_sums_its_items(form):
    for category in form.categories:
        assert sum(item.points for item in category.items) == category.points


@pytest.mark.parametrize(
    ("code", "title"),
    [
        ("1", "岗位设置情况"),
        ("2", "规章制度情况"),
        ("3", "档案资料管理"),
        ("4", "设备设施"),
        ("5", "考核鉴定场地要求"),
        ("6", "鉴定实施要求"),
        ("7", "证书发放要求"),
        ("8", "能力建设情况"),
        ("9", "质量监督反馈"),
    ],
)
def test_category_titles_are_as_printed_and_trimmed(form, code, title):
    assert form.category(code).title == title


def test_item_ids_are_unique_and_in_form_order(form):
    ids = [item.id for item in form.items]
    assert len(set(ids)) == 61
    assert ids[:7] == ["1.1.1", "1.2.1", "1.3.1", "1.4.1", "1.5.1", "1.5.2", "1.5.3"]
    assert ids[-3:] == ["9.1.1", "9.1.2", "9.2.1"]
    assert all(item.code == item.id for item in form.items)


def test_group_title_with_printed_trailing_space_is_trimmed(form):
    assert form.item("3.1.1").group.title == "申报和结果汇总情况"


@pytest.mark.parametrize(
    ("item_id", "text", "points", "method"),
    [
        (
            "1.1.1",
            "所(站)长岗位职责明确",
            2,
            "查阅文件或任命书(或聘书)，现场提问其岗位工作职责。职责明确且未发现问题得2分，发现问题不得分。",
        ),
        (
            "1.3.1",
            "考务管理岗位职责明确",
            2,
            "查阅单位文件或任命书(或聘书)，以及相关规定,现场提问其岗位工作职责。职责明确且未发现问题得2分，发现问题不得分。",
        ),
        (
            "2.1.6",
            "职业技能鉴定试卷\\试题保密规定",
            1,
            "查阅是否有此项制度规定，询问落实情况。有问题不得分。",
        ),
        (
            "4.1.1",
            "设备设施符合所鉴定职业的标准要求且数量充足、运行状况良好",
            3,
            "现场查看。发现1个问题扣1分；2个问题扣2分；3个问题以上不得分。",
        ),
        (
            "5.2.1",
            "根据工作实际,要设立满足需要的候考室、抽考室等相关场地",
            2,
            "现场查看。相关场地齐备得2分；有部分相关场地得1分；没有的不得分。",
        ),
        (
            "6.5.1",
            "阅卷评分的差错率控制情况",
            1,
            "抽查试卷。差错率低于3%的得1分；高于3%的不得分。",
        ),
        (
            "9.1.2",
            "责任书应有落实方案，并应有专人负责",
            5,
            "查阅方案、现场提问。落实情况好的得5分；有方案但落实不力的得2分；无方案的不得分。",
        ),
    ],
)
def test_item_text_and_method_are_as_printed(form, item_id, text, points, method):
    item = form.item(item_id)
    assert (item.text, item.points, item.method) == (text, points, method)


def test_backslash_item_keeps_its_backslash(form):
    assert "\\" in form.item("2.1.6").text


@pytest.mark.parametrize(
    ("span", "method"),
    [
        (["1.5.1", "1.5.2"], "查阅人员所持技术、技能类证书。发现问题不得分。"),
        (
            ["2.1.1", "2.1.2", "2.1.3"],
            "查阅文件（是否符合国家、地方/行业规定），现场提问，发现问题不得分。",
        ),
        (["2.1.5", "2.1.6"], "查阅是否有此项制度规定，询问落实情况。有问题不得分。"),
        (["2.1.8", "2.1.9"], "查阅文件，现场提问，发现问题不得分。"),
        (
            ["2.2.1", "2.2.2", "2.2.3"],
            "查阅文件（是否符合国家、地方/行业规定），抽查有关人员理解掌握的程度，发现问题不得分。",
        ),
    ],
)
def test_every_item_of_a_merged_method_cell_carries_the_full_text(form, span, method):
    assert [form.item(item_id).method for item_id in span] == [method] * len(span)


def test_rows_printed_with_an_empty_method_cell_continue_the_merged_cell(form):
    continued = [item.id for item in form.items if item.method_continued]
    assert continued == ["1.5.2", "2.1.2", "2.1.3", "2.1.6", "2.1.9", "2.2.2", "2.2.3"]
    assert not form.item("3.5.2").method_continued, "same text, but its own printed cell"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("method_continued = true\n", 'method_continued = "yes"\n'),
            "'method_continued' must be true or false",
        ),
        (
            (
                '查阅人员所持技术、技能类证书。发现问题不得分。"\nmethod_continued',
                '查阅证书。"\nmethod_continued',
            ),
            "differs from 1.5.1's",
        ),
    ],
)
def test_a_continued_method_cell_must_continue_the_same_text(tmp_path, edit, message):
    text = SHIPPED_FORM.read_text(encoding="utf-8").replace(*edit, 1)
    with pytest.raises(RubricError, match=message):
        load_rubric(write_form(tmp_path, text))


def test_the_first_row_of_a_group_cannot_continue_a_method_cell(tmp_path):
    text = SHIPPED_FORM.read_text(encoding="utf-8")
    first = (
        'method = "查阅文件或任命书(或聘书)，现场提问其岗位工作职责。'
        '职责明确且未发现问题得2分，发现问题不得分。"\n'
    )
    with pytest.raises(RubricError, match="no item above it in its group"):
        load_rubric(write_form(tmp_path, text.replace(first, first + "method_continued = true\n", 1)))


def test_printed_6_2_appears_as_two_groups_numbered_on(form):
    groups = [g for g in form.category("6").groups if g.code == "6.2"]
    assert [(g.title, g.table) for g in groups] == [
        ("考生资格的审核", "表1-4"),
        ("考生资格的复核", "表1-5"),
    ]
    assert [form.item(i).group for i in ("6.2.1", "6.2.2")] == [groups[0]] * 2
    assert [form.item(i).group for i in ("6.2.3", "6.2.4")] == [groups[1]] * 2
    assert form.item("6.2.1").text == "鉴定申报表与考生登记表及原始资料记录应一致"
    assert form.item("6.2.4").text == "考生登记表原则上不能改动，特殊情况下确需改动的，应有确认章"


def test_groups_know_their_printed_table_and_category(form):
    item = form.item("1.5.3")
    assert (item.group.code, item.group.title, item.group.table) == (
        "1.5",
        "技术支持和财务管理岗位情况",
        "表1-1",
    )
    assert item.category_code == item.group.category_code == "1"


def test_every_item_has_full_zero_and_not_applicable_last(form):
    for item in form.items:
        assert item.outcome("full").points == item.points == item.full_points
        assert item.outcome("zero").points == 0
        assert item.outcomes[-1].key == NOT_APPLICABLE
        assert item.outcomes[-1].label == "不适用"
        assert item.outcomes[-1].points == item.not_applicable_points == item.points


@pytest.mark.parametrize(
    ("item_id", "outcomes"),
    [
        ("4.1.1", [("full", 3), ("minus_1", 2), ("minus_2", 1), ("zero", 0)]),
        ("5.1.1", [("full", 2), ("partial", 1), ("zero", 0)]),
        ("5.2.1", [("full", 2), ("partial", 1), ("zero", 0)]),
        ("6.1.1", [("full", 3), ("minus_1", 2), ("minus_2", 1), ("zero", 0)]),
        ("9.1.2", [("full", 5), ("partial", 2), ("zero", 0)]),
    ],
)
def test_tiered_items_offer_the_printed_tiers(form, item_id, outcomes):
    declared = [(o.key, o.points) for o in form.item(item_id).outcomes[:-1]]
    assert declared == outcomes


@pytest.mark.parametrize(
    ("item_id", "key", "label"),
    [
        ("1.1.1", "full", "职责明确且未发现问题"),
        ("1.1.1", "zero", "发现问题"),
        ("3.2.1", "zero", "发现（不完整等）问题"),
        ("4.1.1", "zero", "发现3个问题以上"),
        ("5.1.1", "partial", "发现2个以内一般性问题"),
        ("5.1.1", "zero", "问题3个及以上或问题严重"),
        ("5.2.1", "partial", "有部分相关场地"),
        ("6.1.1", "minus_2", "发布不及时或表述不清晰（扣2分）"),
        ("6.1.1", "zero", "发现未被批准"),
        ("6.4.4", "zero", "没有"),
        ("6.5.1", "full", "差错率低于3%"),
        ("6.5.1", "zero", "差错率不低于3%"),
        ("8.2.1", "zero", "办公自动化条件较差"),
        ("9.1.2", "partial", "有方案但落实不力"),
        ("9.1.2", "zero", "无方案"),
    ],
)
def test_outcome_labels_use_the_standards_words(form, item_id, key, label):
    assert form.item(item_id).outcome(key).label == label


def test_only_counted_items_take_inputs(form):
    counted = {item.id: [spec.name for spec in item.inputs] for item in form.items if item.inputs}
    assert counted == {
        "4.1.1": ["problems"],
        "5.1.1": ["problems", "serious"],
        "6.5.1": ["papers_checked", "papers_with_errors"],
    }


def test_input_specs_state_type_minimum_and_default(form):
    problems, serious = form.item("5.1.1").inputs
    assert (problems.type, problems.minimum, problems.default) == ("int", 0, None)
    assert (serious.type, serious.default) == ("bool", False)
    checked, with_errors = form.item("6.5.1").inputs
    assert (checked.minimum, with_errors.minimum) == (1, 0)


def test_unknown_item_and_category_lookups_give_none(form):
    assert form.item("10.1.1") is None
    assert form.category("10") is None


def test_small_valid_form_loads(tmp_path):
    form = load_rubric(write_form(tmp_path, VALID_TOML))
    assert [item.id for item in form.items] == ["1.1.1", "2.1.1", "2.1.2"]


def test_not_applicable_points_can_be_set_below_full(tmp_path):
    text = edited((ITEM_1_POINTS, ITEM_1_POINTS + "\nnot_applicable_points = 0"))
    item = load_rubric(write_form(tmp_path, text)).item("1.1.1")
    assert item.not_applicable_points == 0
    assert item.outcome(NOT_APPLICABLE).points == 0


def test_every_item_of_the_shipped_form_allows_not_applicable_with_full_points(form):
    assert {item.not_applicable for item in form.items} == {NA_FULL_POINTS}
    assert all(item.allows_not_applicable for item in form.items)


def test_boundary_labels_are_explained_beside_their_items():
    text = SHIPPED_FORM.read_text(encoding="utf-8")
    for label in ("差错率不低于3%", "问题3个及以上或问题严重"):
        comment = text.split(f'label = "{label}"')[0].rsplit("[[categories.groups.items]]", 1)[0]
        assert f'labelled "{label}"' in comment.rsplit("\n\n", 1)[-1], label


def test_not_applicable_can_leave_an_item_out(tmp_path):
    text = edited((ITEM_1_POINTS, ITEM_1_POINTS + '\nnot_applicable = "scale_category"'))
    item = load_rubric(write_form(tmp_path, text)).item("1.1.1")
    assert item.not_applicable == NA_SCALE_CATEGORY and item.not_applicable_scales_category
    assert item.outcome(NOT_APPLICABLE) is not None


def test_an_item_can_refuse_not_applicable(tmp_path):
    text = edited((ITEM_1_POINTS, ITEM_1_POINTS + '\nnot_applicable = "not_allowed"'))
    item = load_rubric(write_form(tmp_path, text)).item("1.1.1")
    assert not item.allows_not_applicable
    assert item.outcome(NOT_APPLICABLE) is None
    assert [outcome.key for outcome in item.outcomes] == ["full", "zero"]


@pytest.mark.parametrize(
    ("replacements", "message"),
    [
        pytest.param(
            [(ITEM_1_POINTS, ITEM_1_POINTS + '\nnot_applicable = "sometimes"')],
            "item 1.1.1: not_applicable 'sometimes' is unknown "
            "(known: full_points, scale_category, not_allowed)",
            id="not-applicable-policy-unknown",
        ),
        pytest.param(
            [(ITEM_1_POINTS, ITEM_1_POINTS + "\nnot_applicable = true")],
            "item 1.1.1: 'not_applicable' must be a non-empty string, got True",
            id="not-applicable-policy-not-text",
        ),
        pytest.param(
            [(ITEM_1_POINTS, ITEM_1_POINTS + '\nnot_applicable = "not_allowed"\nnot_applicable_points = 10')],
            "item 1.1.1: not_applicable_points applies only with not_applicable = 'full_points'",
            id="not-applicable-points-without-full-points",
        ),
        pytest.param(
            [
                (ITEM_1_POINTS, ITEM_1_POINTS.replace("60", "50")),
                (FULL_OUTCOME_1, FULL_OUTCOME_1.replace("60", "50")),
            ],
            "category 1: items sum to 50, category says 60",
            id="category-items-sum",
        ),
        pytest.param(
            [("points = 60\n\n[[categories.groups]]", "points = 70\n\n[[categories.groups]]")],
            "rubric: categories sum to 110, max_points says 100",
            id="categories-sum",
        ),
        pytest.param(
            [("max_points = 100", "max_points = 90")],
            "rubric: max_points is 90, the form totals 100",
            id="total-not-100",
        ),
        pytest.param(
            [(FULL_OUTCOME_1, FULL_OUTCOME_1.replace('"full"', '"all"'))],
            "item 1.1.1: has no 'full' outcome",
            id="no-full",
        ),
        pytest.param(
            [(FULL_OUTCOME_1, FULL_OUTCOME_1.replace("60", "59"))],
            "item 1.1.1: outcome 'full' gives 59 points, must give 60",
            id="full-not-item-points",
        ),
        pytest.param(
            [(ZERO_OUTCOME_2, ZERO_OUTCOME_2.replace('"zero"', '"none"'))],
            "item 2.1.1: has no 'zero' outcome",
            id="no-zero",
        ),
        pytest.param(
            [(ZERO_OUTCOME_2, ZERO_OUTCOME_2.replace("points = 0", "points = 5"))],
            "item 2.1.1: outcome 'zero' gives 5 points, must give 0",
            id="zero-not-zero",
        ),
        pytest.param(
            [(MINUS_10, MINUS_10.replace("20", "35"))],
            "item 2.1.1 outcome 'minus_10': gives 35 points, more than the item's 30",
            id="outcome-above-item",
        ),
        pytest.param(
            [(MINUS_10, MINUS_10.replace("20", "-1"))],
            "item 2.1.1 outcome 'minus_10': 'points' must be at least 0, got -1",
            id="outcome-negative",
        ),
        pytest.param(
            [(MINUS_10, MINUS_10.replace('"minus_10"', '"zero"').replace("20", "0"))],
            "item 2.1.1: outcome 'zero' declared 2 times",
            id="duplicate-outcome-key",
        ),
        pytest.param(
            [(FULL_OUTCOME_1, FULL_OUTCOME_1 + ",\n" + NOT_APPLICABLE_OUTCOME)],
            "item 1.1.1 outcome 'not_applicable': 'not_applicable' is added by the loader",
            id="not-applicable-declared",
        ),
        pytest.param(
            [('id = "2.1.2"', 'id = "2.1.1"')],
            "item 2.1.1: id used 2 times",
            id="duplicate-id",
        ),
        pytest.param(
            [('{ max = 1, outcome = "minus_10" }', '{ max = 1, outcome = "minus_9" }')],
            "item 2.1.1 derive: refers to outcome 'minus_9', which the item does not declare",
            id="derive-unknown-outcome",
        ),
        pytest.param(
            [('below = "full"', 'below = "all"')],
            "item 2.1.2 derive: refers to outcome 'all'",
            id="error-rate-unknown-outcome",
        ),
        pytest.param(
            [('kind = "problem_count"', 'kind = "problem_tally"')],
            "item 2.1.1 derive: kind 'problem_tally' is unknown",
            id="derive-unknown-kind",
        ),
        pytest.param(
            [('{ max = 1, outcome = "minus_10" }', '{ max = 0, outcome = "minus_10" }')],
            "item 2.1.1 derive: bands must rise: max 0 follows max 0",
            id="bands-not-rising",
        ),
        pytest.param(
            [("threshold_percent = 3", "threshold_percent = 300")],
            "item 2.1.2 derive: 'threshold_percent' must be at most 100, got 300",
            id="threshold-above-100",
        ),
        pytest.param(
            [('otherwise = "zero"\n\n', "\n")],
            "item 2.1.1 derive: 'otherwise' is missing",
            id="derive-otherwise-missing",
        ),
        pytest.param(
            [('text = "小项一"\n', "")],
            "item 1.1.1: 'text' is missing",
            id="item-text-missing",
        ),
        pytest.param(
            [(ITEM_1_POINTS, ITEM_1_POINTS.replace("60", '"60"'))],
            "item 1.1.1: 'points' must be an integer, got '60'",
            id="points-not-integer",
        ),
        pytest.param(
            [(ITEM_1_POINTS, ITEM_1_POINTS.replace("60", "true"))],
            "item 1.1.1: 'points' must be an integer, got True",
            id="points-bool",
        ),
        pytest.param(
            [('version = "1"', "version = 1")],
            "rubric: 'version' must be a non-empty string, got 1",
            id="version-not-string",
        ),
        pytest.param(
            [('table = "表1-2"\n', "")],
            "group 2.1: 'table' is missing",
            id="group-table-missing",
        ),
        pytest.param(
            [('title = "甲类"\n', "")],
            "category 1: 'title' is missing",
            id="category-title-missing",
        ),
        pytest.param(
            [(ITEM_1_POINTS, ITEM_1_POINTS + "\nnot_applicable_points = 70")],
            "item 1.1.1: not_applicable_points is 70, more than the item's 60",
            id="not-applicable-points-above-item",
        ),
        pytest.param(
            [(ITEM_1_POINTS, ITEM_1_POINTS + "\nnot_applicable_points = -1")],
            "item 1.1.1: 'not_applicable_points' must be at least 0, got -1",
            id="not-applicable-points-negative",
        ),
        pytest.param(
            [(ITEM_1_POINTS, ITEM_1_POINTS + '\nnote = "typo"')],
            "item 1.1.1: unexpected key 'note'",
            id="unexpected-key",
        ),
    ],
)
def test_broken_form_is_rejected_naming_the_place(tmp_path, replacements, message):
    with pytest.raises(RubricError) as raised:
        load_rubric(write_form(tmp_path, edited(*replacements)))
    assert message in str(raised.value)
    assert any(message in problem for problem in raised.value.problems)


def test_every_problem_in_a_file_is_reported_together(tmp_path):
    text = edited(
        ("max_points = 100", "max_points = 90"),
        ('id = "2.1.2"', 'id = "2.1.1"'),
        ('text = "小项一"\n', ""),
    )
    with pytest.raises(RubricError) as raised:
        load_rubric(write_form(tmp_path, text))
    assert len(raised.value.problems) == 3
    message = str(raised.value)
    assert "form.toml" in message
    assert "rubric: max_points is 90" in message
    assert "item 2.1.1: id used 2 times" in message
    assert "item 1.1.1: 'text' is missing" in message


def test_unreadable_toml_is_a_rubric_error(tmp_path):
    with pytest.raises(RubricError, match="cannot read the rubric file"):
        load_rubric(write_form(tmp_path, 'id = "unterminated'))


def test_missing_file_is_a_rubric_error(tmp_path):
    with pytest.raises(RubricError, match="cannot read the rubric file"):
        load_rubric(tmp_path / "absent.toml")


@pytest.fixture
def forms_directory(tmp_path):
    for version in ("1", "2", "10"):
        text = VALID_TOML.replace('version = "1"', f'version = "{version}"')
        write_form(tmp_path, text, name=f"test-form-{version}.toml")
    nested = tmp_path / "other"
    nested.mkdir()
    write_form(nested, VALID_TOML.replace('id = "test-form"', 'id = "other-form"'))
    return tmp_path


def test_registry_loads_every_toml_under_a_directory(forms_directory):
    registry = RubricRegistry.from_directory(forms_directory)
    assert [(r.id, r.version) for r in registry.all()] == [
        ("other-form", "1"),
        ("test-form", "1"),
        ("test-form", "2"),
        ("test-form", "10"),
    ]


def test_registry_gets_a_rubric_by_id_and_version(forms_directory):
    registry = RubricRegistry.from_directory(forms_directory)
    assert registry.get("test-form", "2").version == "2"


def test_registry_latest_compares_versions_as_numbers(forms_directory):
    assert RubricRegistry.from_directory(forms_directory).latest("test-form").version == "10"


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        (lambda registry: registry.get("test-form", "3"), "no rubric 'test-form' version '3'"),
        (lambda registry: registry.get("absent", "1"), "no rubric 'absent' version '1'"),
        (lambda registry: registry.latest("absent"), "no rubric 'absent'"),
    ],
)
def test_registry_refuses_unknown_rubrics_with_a_clear_error(forms_directory, lookup, message):
    registry = RubricRegistry.from_directory(forms_directory)
    with pytest.raises(RubricError, match=message):
        lookup(registry)


def test_registry_refuses_the_same_version_twice(tmp_path):
    write_form(tmp_path, VALID_TOML, name="a.toml")
    write_form(tmp_path, VALID_TOML, name="b.toml")
    with pytest.raises(RubricError, match="already registered"):
        RubricRegistry.from_directory(tmp_path)


def test_default_registry_serves_the_shipped_form():
    registry = default_registry()
    assert registry is default_registry()
    assert registry.latest("station-quality") is registry.get("station-quality", "1.1")
    assert len(registry.get("station-quality", "1").items) == 61
    assert len(registry.get("station-quality", "1.1").items) == 61


def test_importing_rubric_loads_neither_flask_nor_sqlalchemy():
    script = (
        "import sys, rubric\n"
        "rubric.default_registry()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
