"""What changed between two versions of the form, item by item, with items followed by id and lineage."""

import pytest

from rubric import Change, compare_rubrics, default_registry, lineage, load_rubric_data, rubric_data
from rubric.compare import ADDED, CHANGED, FORM, MERGED, MOVED, RENUMBERED, ROW_HEADINGS, SPLIT

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
FORM_1 = default_registry().get("station-quality", "1")
FORM_1_1 = default_registry().get("station-quality", "1.1")
SCALED_IN_1_1 = ["1.5.2", "1.5.3", "2.1.4", "2.1.8", "3.3.1", "3.4.1", "3.6.1"] + [
    "4.1.1",
    "4.2.1",
    "6.4.2",
    "6.5.1",
    "6.6.1",
    "7.1.1",
]


def test_1_1_changes_only_the_rules_exactly_as_stated():
    expected = [Change(FORM, "version", "version", "1", "1.1")]
    for item in FORM_1.items:
        if item.id == "6.3.2":
            continue
        policy = "scale_category" if item.id in SCALED_IN_1_1 else "not_allowed"
        expected.append(Change(CHANGED, item.id, "not_applicable", "full_points", policy))
        if item.id == "9.1.2":
            expected.append(Change(CHANGED, "9.1.2", "depends_on", None, "9.1.1: zero"))
    comparison = compare_rubrics(FORM_1, FORM_1_1)
    assert list(comparison.changes) == expected
    assert len(comparison.changes) == 1 + 60 + 1
    assert comparison.added == comparison.removed == comparison.moved == ()


def test_rows_give_a_flat_table_of_text():
    rows = compare_rubrics(FORM_1, FORM_1_1).rows()
    assert ROW_HEADINGS == ("change", "item", "field", "before", "after")
    assert rows[0] == ("form", "version", "version", "1", "1.1")
    assert ("changed", "9.1.2", "depends_on", "", "9.1.1: zero") in rows
    assert all(isinstance(cell, str) for row in rows for cell in row)


def a_later_version(edit):
    data = rubric_data(FORM_1_1)
    data["version"] = "1.2"
    edit({item["id"]: item for c in data["categories"] for g in c["groups"] for item in g["items"]}, data)
    return load_rubric_data(data)


def test_an_item_keeps_its_identity_through_a_new_text_and_points():
    def edit(items, data):
        items["1.5.1"]["text"] = "鉴定职业的技术支持人员满足需要"
        items["1.5.1"]["points"] = 2
        items["1.5.1"]["outcomes"][0]["points"] = 2
        items["1.1.1"]["points"] = 1
        items["1.1.1"]["outcomes"][0]["points"] = 1

    changes = compare_rubrics(FORM_1_1, a_later_version(edit)).changes
    assert [c for c in changes if c.item == "1.5.1"] == [
        Change(
            CHANGED,
            "1.5.1",
            "text",
            "鉴定职业的技术支持人员满足所（站）相关工作需要",
            "鉴定职业的技术支持人员满足需要",
        ),
        Change(CHANGED, "1.5.1", "points", 1, 2),
        Change(
            CHANGED,
            "1.5.1",
            "outcomes",
            ["full | 1 | 未发现问题", "zero | 0 | 发现问题"],
            ["full | 2 | 未发现问题", "zero | 0 | 发现问题"],
        ),
    ]


def test_an_item_moved_to_another_group_and_one_added_and_one_removed():
    def edit(items, data):
        groups = data["categories"][0]["groups"]
        moved = groups[4]["items"].pop(2)
        groups[3]["items"].append(moved)
        chapter_9 = data["categories"][8]["groups"]
        removed = chapter_9[1]["items"].pop()
        added = dict(removed, id="9.2.2", code="9.2.2", text="新增小项")
        chapter_9[1]["items"].append(added)

    comparison = compare_rubrics(FORM_1_1, a_later_version(edit))
    assert comparison.moved == (
        Change(MOVED, "1.5.3", "group", "1.5 技术支持和财务管理岗位情况", "1.4 试题管理岗位"),
    )
    assert comparison.added == (Change(ADDED, "9.2.2", "item", None, "9.2.2 新增小项 (2)"),)
    assert [c.item for c in comparison.removed] == ["9.2.1"]


def test_earlier_ids_follow_renumbered_split_and_merged_items():
    def edit(items, data):
        items["8.2.2"]["id"] = "8.2.9"
        items["8.2.2"]["earlier_ids"] = ["8.2.2"]
        items["6.3.5"]["earlier_ids"] = ["6.3.4"]
        items["6.3.6"]["earlier_ids"] = ["3.5.2"]

    new = a_later_version(edit)
    comparison = compare_rubrics(FORM_1_1, new)
    assert comparison.of_kind(RENUMBERED) == (Change(RENUMBERED, "8.2.9", "id", ["8.2.2"], "8.2.9"),)
    assert comparison.of_kind(MERGED) == (
        Change(MERGED, "6.3.5", "id", ["6.3.5", "6.3.4"], "6.3.5"),
        Change(MERGED, "6.3.6", "id", ["6.3.6", "3.5.2"], "6.3.6"),
    )
    assert comparison.removed == (), "an item continued under another id is not removed"
    assert comparison.successors("6.3.4") == ("6.3.4", "6.3.5")
    assert comparison.predecessors("8.2.9") == ("8.2.2",)
    assert lineage(FORM_1_1, new)["8.2.9"] == ("8.2.2",)


def test_an_item_split_in_two_names_both_halves():
    def edit(items, data):
        group = data["categories"][8]["groups"][1]
        half = dict(
            items["9.2.1"], id="9.2.2", code="9.2.2", text="投诉咨询电话反馈及时", earlier_ids=["9.2.1"]
        )
        group["items"].append(half)
        data["categories"][8]["points"] += 2
        data["categories"][7]["points"] -= 2
        chapter_8 = data["categories"][7]["groups"][1]["items"]
        chapter_8[0]["points"] = 1
        chapter_8[0]["outcomes"] = [
            {"key": "full", "label": "办公自动化条件具备", "points": 1},
            {"key": "zero", "label": "办公自动化条件较差", "points": 0},
        ]
        chapter_8.pop()

    comparison = compare_rubrics(FORM_1_1, a_later_version(edit))
    assert comparison.of_kind(SPLIT) == (Change(SPLIT, "9.2.2", "id", ["9.2.1"], "9.2.2"),)
    assert comparison.successors("9.2.1") == ("9.2.1", "9.2.2")
    assert [c.item for c in comparison.removed] == ["8.2.2"]
    assert [(c.item, c.field, c.before, c.after) for c in comparison.of_kind("category")] == [
        ("8", "points", 7, 5),
        ("9", "points", 10, 12),
    ]
