"""A form version goes to data (the database's copy) and to a workbook laid out like the printed
table, and comes back identical."""

import json
from io import BytesIO

import pytest
from openpyxl import load_workbook

from rubric import (
    NA_SCALE_CATEGORY,
    default_registry,
    load_rubric_data,
    load_rubric_toml,
    read_rubric_xlsx,
    rubric_data,
    write_rubric_xlsx,
)
from tests import ROOT

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
FORMS = ROOT / "rubric" / "forms"
VERSIONS = ["1", "1.1"]


def form(version):
    return default_registry().get("station-quality", version)


@pytest.mark.parametrize("version", VERSIONS)
def test_data_survives_json_and_loads_back_identical(version):
    stored = json.loads(json.dumps(rubric_data(form(version)), ensure_ascii=False))
    assert load_rubric_data(stored) == form(version)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_workbook_reads_back_identical(version):
    assert read_rubric_xlsx(write_rubric_xlsx(form(version))) == form(version)


def test_a_changed_rule_survives_the_workbook():
    """Equality is not trivially true: the fields the workbook carries do make a difference."""
    data = rubric_data(form("1.1"))
    item = data["categories"][5]["groups"][5]["items"][0]
    assert item["id"] == "6.5.1"
    item["derive"]["limits"] = {"papers_with_errors": 500}
    item["not_applicable_reason_required"] = False
    item["earlier_ids"] = ["6.5.0"]
    edited = load_rubric_data(data)
    assert edited != form("1.1")
    assert read_rubric_xlsx(write_rubric_xlsx(edited)) == edited
    assert [spec.maximum for spec in edited.item("6.5.1").inputs] == [100000, 500]


def test_the_text_loader_and_the_file_loader_agree():
    text = (FORMS / "station-quality-1.1.toml").read_text(encoding="utf-8")
    assert load_rubric_toml(text) == form("1.1")


def test_the_workbook_is_laid_out_like_the_printed_table():
    sheet = load_workbook(BytesIO(write_rubric_xlsx(form("1"))))["评估表"]
    headings = [sheet.cell(row=1, column=column).value for column in range(1, 6)]
    assert headings == ["大项", "中项", "小项", "分值", "评估方法和标准"]
    assert [sheet.cell(row=2, column=column).value for column in range(1, 5)] == [
        "岗位设置情况",
        "领导岗位情况",
        "所(站)长岗位职责明确",
        2,
    ]
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert "A2:A8" in merged, "category 1 spans its seven items, as printed"
    assert "B6:B8" in merged, "group 1.5 spans its three items"
    assert "E6:E7" in merged, "the method cell printed over 1.5.1 and 1.5.2"
    assert sheet.cell(row=7, column=5).value is None


def test_the_workbook_shows_the_rules_of_1_1():
    sheet = load_workbook(BytesIO(write_rubric_xlsx(form("1.1"))))["评估表"]
    rows = {sheet.cell(row=row, column=10).value: row for row in range(2, sheet.max_row + 1)}

    def cell(item_id, column):
        return sheet.cell(row=rows[item_id], column=column).value

    assert (cell("7.1.1", 15), cell("7.1.1", 17)) == (NA_SCALE_CATEGORY, "是")
    assert (cell("1.1.1", 15), cell("1.1.1", 17)) == ("not_allowed", None)
    assert cell("9.1.2", 18) == "9.1.1: zero"
    assert cell("6.5.1", 14) == "max_count = 100000"
    assert cell("4.1.1", 12).splitlines() == [
        "full | 3 | 未发现问题",
        "minus_1 | 2 | 发现1个问题",
        "minus_2 | 1 | 发现2个问题",
        "zero | 0 | 发现3个问题以上",
    ]


def test_version_1_stays_as_shipped():
    """Assessments scored on version 1 keep it: its file is not edited by later versions."""
    text = (FORMS / "station-quality-1.toml").read_text(encoding="utf-8")
    assert {item.not_applicable for item in load_rubric_toml(text).items} == {"full_points"}
    assert 'version = "1"\n' in text
