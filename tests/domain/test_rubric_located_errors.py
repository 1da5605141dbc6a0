"""Every problem in a form names its place: the TOML line and key path, the key path of stored
data, or the workbook's sheet, row and column."""

import json
from io import BytesIO
from zipfile import ZipFile

import pytest
from openpyxl import load_workbook

from rubric import (
    RubricError,
    default_registry,
    load_rubric_data,
    load_rubric_toml,
    read_rubric_xlsx,
    rubric_data,
    write_rubric_xlsx,
)
from tests.domain.test_rubric_loader import VALID_TOML, edited

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
FORM_1 = default_registry().get("station-quality", "1")
FORM_1_1 = default_registry().get("station-quality", "1.1")


def line_of(text: str, line: str, after: str = "") -> int:
    """The 1-based number of the first line reading `line` after the first line reading `after`."""
    lines = text.splitlines()
    start = lines.index(after) if after else 0
    return lines.index(line, start) + 1


def problems_of(call) -> tuple:
    with pytest.raises(RubricError) as raised:
        call()
    return raised.value.problems


def only_problem(call):
    (problem,) = problems_of(call)
    return problem


def test_a_toml_syntax_error_names_its_line():
    text = VALID_TOML.replace('title = "乙组"', 'title = "乙组', 1)
    problem = only_problem(lambda: load_rubric_toml(text))
    assert problem.location.line == line_of(text, 'title = "乙组')
    assert str(problem).startswith(f"line {problem.location.line}: cannot read the rubric file")


def test_a_wrong_value_names_its_line_and_key_path():
    text = edited(('points = 30\nmethod = "发现1个问题', 'points = "30"\nmethod = "发现1个问题'))
    problems = problems_of(lambda: load_rubric_toml(text))
    wrong = next(p for p in problems if "'points' must be an integer" in p)
    assert wrong.location.line == line_of(text, 'points = "30"')
    assert wrong.location.path == "categories[1].groups[0].items[0].points"
    assert str(wrong) == (
        f"line {wrong.location.line} (categories[1].groups[0].items[0].points): "
        "item 2.1.1: 'points' must be an integer, got '30'"
    )


def test_a_missing_key_names_the_line_of_its_table():
    text = edited(('text = "小项一"\n', ""))
    problem = only_problem(lambda: load_rubric_toml(text))
    assert problem.location.line == line_of(text, 'id = "1.1.1"') - 1, "the [[categories.groups.items]] line"
    assert problem.location.path == "categories[0].groups[0].items[0].text"
    assert problem.message == "item 1.1.1: 'text' is missing"


def test_an_outcome_spread_over_lines_names_its_own_line():
    text = edited(
        (MINUS_10 := '{ key = "minus_10", label = "发现1个问题", points = 20 }', MINUS_10.replace("20", "40"))
    )
    problem = only_problem(lambda: load_rubric_toml(text))
    assert problem.location.line == line_of(text, "  " + MINUS_10.replace("20", "40") + ",")
    assert problem.location.path == "categories[1].groups[0].items[0].outcomes[1].points"
    assert problem.message == "item 2.1.1 outcome 'minus_10': gives 40 points, more than the item's 30"


def test_a_bad_count_limit_names_the_derive_line():
    text = edited(
        ('kind = "problem_count"\n', 'kind = "problem_count"\nlimits = { papers = 5, problems = 0 }\n')
    )
    problems = problems_of(lambda: load_rubric_toml(text))
    limits_line = line_of(text, "limits = { papers = 5, problems = 0 }")
    assert [(p.location.line, p.message) for p in problems] == [
        (limits_line, "item 2.1.1 derive limits: unexpected key 'papers'"),
        (limits_line, "item 2.1.1 derive limits: 'problems' must be at least 1, got 0"),
    ]


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        (
            'depends_on = { item = "9.9.9", outcomes = ["zero"] }',
            "item 1.1.1: depends on item '9.9.9', which the form does not have",
        ),
        (
            'depends_on = { item = "2.1.1", outcomes = ["absent"] }',
            "item 1.1.1: depends on outcome 'absent', which item 2.1.1 does not have",
        ),
        ('depends_on = { item = "1.1.1", outcomes = ["zero"] }', "item 1.1.1: depends on itself"),
        ('depends_on = { item = "2.1.1" }', "'outcomes' is missing"),
        ('depends_on = "2.1.1"', "'depends_on' must be a table"),
        (
            'not_applicable = "not_allowed"\nnot_applicable_reason_required = false',
            "not_applicable_reason_required applies only where 不适用 is offered",
        ),
        ("not_applicable_reason_required = 1", "'not_applicable_reason_required' must be true or false"),
        ('earlier_ids = ["1.1.0", "1.1.0"]', "'earlier_ids' names '1.1.0' 2 times"),
        ("earlier_ids = [1]", "'earlier_ids' must be a list of non-empty strings"),
        ('why = ""', "'why' must be a non-empty string"),
    ],
)
def test_each_new_rule_field_is_checked_where_it_is_written(addition, message):
    anchor = 'method = "发现问题不得分。"'
    text = edited((anchor, f"{anchor}\n{addition}"))
    problems = problems_of(lambda: load_rubric_toml(text))
    found = [p for p in problems if message in p]
    assert found, problems
    first_added = addition.splitlines()[-1]
    assert found[0].location.line == line_of(text, first_added)


def test_items_that_wait_on_each_other_are_refused():
    method_1, method_2 = 'method = "发现问题不得分。"', 'method = "发现1个问题扣10分；2个问题以上不得分。"'
    text = edited(
        (method_1, method_1 + '\ndepends_on = { item = "2.1.1", outcomes = ["zero"] }'),
        (method_2, method_2 + '\ndepends_on = { item = "1.1.1", outcomes = ["zero"] }'),
    )
    messages = [p.message for p in problems_of(lambda: load_rubric_toml(text))]
    assert messages == [
        "item 1.1.1: its dependencies lead back to it",
        "item 2.1.1: its dependencies lead back to it",
    ]


def test_a_duplicated_id_names_the_second_items_line():
    text = edited(('id = "2.1.2"', 'id = "2.1.1"'))
    problem = only_problem(lambda: load_rubric_toml(text))
    assert problem.message == "item 2.1.1: id used 2 times"
    assert problem.location.line == line_of(text, 'id = "2.1.1"')


def test_stored_data_names_the_key_path():
    data = json.loads(json.dumps(rubric_data(FORM_1_1)))
    data["categories"][8]["groups"][0]["items"][1]["depends_on"]["outcomes"] = ["gone"]
    data["categories"][0]["points"] = "11"
    problems = problems_of(lambda: load_rubric_data(data))
    assert [str(p) for p in problems] == [
        "categories[0].points: category 1: 'points' must be an integer, got '11'",
    ], "a category that cannot be read stops the checks that need the whole form"
    data["categories"][0]["points"] = 11
    (problem,) = problems_of(lambda: load_rubric_data(data))
    assert str(problem) == (
        "categories[8].groups[0].items[1].depends_on: item 9.1.2: depends on outcome 'gone', "
        "which item 9.1.1 does not have"
    )


def test_data_that_is_not_a_table_is_refused():
    assert str(only_problem(lambda: load_rubric_data(["not", "a", "form"]))) == (
        "form: a form must be a table of keys, got list"
    )


# --- the workbook ---------------------------------------------------------------------------


def edited_workbook(rubric, edit) -> bytes:
    workbook = load_workbook(BytesIO(write_rubric_xlsx(rubric)))
    edit(workbook)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def row_of(sheet, item_id: str) -> int:
    return next(row for row in range(2, sheet.max_row + 1) if sheet.cell(row=row, column=10).value == item_id)


def cell_problem(rubric, edit):
    return only_problem(lambda: read_rubric_xlsx(edited_workbook(rubric, edit)))


def test_a_points_cell_that_is_not_a_number_names_sheet_row_and_column():
    def edit(workbook):
        sheet = workbook["评估表"]
        sheet.cell(row=row_of(sheet, "4.1.1"), column=4, value="三")

    problem = cell_problem(FORM_1, edit)
    row = row_of(load_workbook(BytesIO(write_rubric_xlsx(FORM_1)))["评估表"], "4.1.1")
    assert (problem.location.sheet, problem.location.row, problem.location.column) == ("评估表", row, "D")
    assert (
        str(problem)
        == f"sheet 评估表, row {row}, column D (分值): item 4.1.1: 'points' must be an integer, got '三'"
    )


def test_an_outcome_line_without_its_parts_names_its_cell():
    def edit(workbook):
        sheet = workbook["评估表"]
        sheet.cell(row=row_of(sheet, "1.1.1"), column=12, value="full | 2 | 职责明确\nzero 0 发现问题")

    problem = cell_problem(FORM_1, edit)
    assert (problem.location.row, problem.location.column) == (2, "L")
    assert problem.message == "line 2: write 'key | points | label', got 'zero 0 发现问题'"


def test_an_outcome_giving_too_much_names_its_cell():
    def edit(workbook):
        sheet = workbook["评估表"]
        sheet.cell(row=row_of(sheet, "1.1.1"), column=12, value="full | 2 | 职责明确\nzero | 5 | 发现问题")

    problems = problems_of(lambda: read_rubric_xlsx(edited_workbook(FORM_1, edit)))
    assert {(p.location.sheet, p.location.row, p.location.column) for p in problems} == {("评估表", 2, "L")}
    assert [p.message for p in problems] == [
        "item 1.1.1 outcome 'zero': gives 5 points, more than the item's 2",
        "item 1.1.1: outcome 'zero' gives 5 points, must give 0",
    ]


def test_an_unknown_dependency_names_its_cell():
    def edit(workbook):
        sheet = workbook["评估表"]
        sheet.cell(row=row_of(sheet, "9.1.2"), column=18, value="9.1.9: zero")

    problem = cell_problem(FORM_1_1, edit)
    assert (problem.location.column, problem.location.column_title) == ("R", "依赖（小项编号: 结果键）")
    assert problem.message == "item 9.1.2: depends on item '9.1.9', which the form does not have"


def test_an_unreadable_counting_rule_names_its_cell():
    def edit(workbook):
        sheet = workbook["评估表"]
        sheet.cell(row=row_of(sheet, "6.5.1"), column=13, value='{ kind = "error_rate", ')

    problem = cell_problem(FORM_1, edit)
    assert problem.location.column == "M"
    assert problem.message.startswith("cannot read it:")


def test_a_reason_answer_other_than_yes_or_no_names_its_cell():
    def edit(workbook):
        sheet = workbook["评估表"]
        sheet.cell(row=row_of(sheet, "7.1.1"), column=17, value="也许")

    problem = cell_problem(FORM_1_1, edit)
    assert (problem.location.column, problem.message) == ("Q", "write 是 or 否, got '也许'")


def test_a_policy_the_form_does_not_know_names_its_cell():
    def edit(workbook):
        sheet = workbook["评估表"]
        sheet.cell(row=row_of(sheet, "7.1.1"), column=15, value="skip")

    problem = cell_problem(FORM_1_1, edit)
    assert problem.location.column == "O"
    assert problem.message.startswith("item 7.1.1: not_applicable 'skip' is unknown")


def test_a_form_field_names_its_row_on_the_form_sheet():
    def edit(workbook):
        workbook["表单"]["B5"] = 90

    problems = problems_of(lambda: read_rubric_xlsx(edited_workbook(FORM_1, edit)))
    assert [str(p) for p in problems] == [
        "sheet 表单, row 5, column B (总分): rubric: max_points is 90, the form totals 100",
        "sheet 表单, row 5, column B (总分): rubric: categories sum to 100, max_points says 90",
    ]


def test_a_moved_heading_and_a_missing_sheet_are_named():
    def edit(workbook):
        workbook["评估表"]["D1"] = "得分"
        del workbook["表单"]

    problem = cell_problem(FORM_1, edit)
    assert str(problem) == "sheet 表单: the workbook has no sheet '表单'"

    def heading_only(workbook):
        workbook["评估表"]["D1"] = "得分"

    problem = cell_problem(FORM_1, heading_only)
    assert str(problem) == "sheet 评估表, row 1, column D (分值): the heading must be '分值', found '得分'"


def broken_xml_workbook() -> bytes:
    """A zip holding a workbook part whose XML breaks off."""
    output = BytesIO()
    with ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
    return output.getvalue()


@pytest.mark.parametrize(
    "data",
    [b"not a workbook", b"", write_rubric_xlsx(FORM_1)[:2000], broken_xml_workbook()],
    ids=["text", "empty", "cut-short", "broken-xml"],
)
def test_bytes_that_are_no_workbook_are_refused_plainly(data):
    problem = only_problem(lambda: read_rubric_xlsx(data))
    assert problem.message.startswith("cannot read the workbook")
