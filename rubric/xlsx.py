"""A rubric as a workbook laid out like the printed table, and back.

Sheet 评估表 has one row per item: 大项 / 中项 / 小项 / 分值 / 评估方法和标准 as printed
(大项, 中项 and a method cell printed over several rows are merged cells, filled in
only on their first row), then the columns the printed table does not have: codes,
outcomes and the form's rules. Sheet 表单 holds the form's own fields. Reading a
workbook checks it like a TOML file, and every problem names its sheet, row and column.
"""

import json
import tomllib
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .data import rubric_data
from .errors import RubricError
from .loader import load_rubric_data
from .locations import Location, Path, Problem, nearest
from .model import NA_NOT_ALLOWED, Rubric

FORM_SHEET = "表单"
ITEMS_SHEET = "评估表"

FORM_FIELDS = (
    ("id", "表单编号"),
    ("version", "版本"),
    ("title", "名称"),
    ("max_points", "总分"),
)

# (key, heading, width): the items sheet's columns, in order.
COLUMNS = (
    ("category_title", "大项", 14),
    ("group_title", "中项", 18),
    ("text", "小项", 36),
    ("points", "分值", 6),
    ("method", "评估方法和标准", 48),
    ("category_code", "大项编号", 8),
    ("category_points", "大项分值", 8),
    ("group_code", "中项编号", 8),
    ("group_table", "表号", 8),
    ("id", "小项编号", 9),
    ("code", "显示编号", 9),
    ("outcomes", "评估结果（每行：键 | 得分 | 说法）", 44),
    ("derive", "计数规则", 40),
    ("counts", "计数上限", 18),
    ("not_applicable", "不适用", 14),
    ("not_applicable_points", "不适用得分", 10),
    ("not_applicable_reason_required", "不适用须说明理由", 10),
    ("depends_on", "依赖（小项编号: 结果键）", 18),
    ("earlier_ids", "原编号", 12),
    ("why", "说明", 40),
)
COLUMN = {key: index for index, (key, _, _) in enumerate(COLUMNS, start=1)}
CATEGORY_COLUMNS = ("category_title", "category_code", "category_points")
GROUP_COLUMNS = ("group_title", "group_code", "group_table")
YES, NO = "是", "否"


def write_rubric_xlsx(rubric: Rubric) -> bytes:
    workbook = Workbook()
    items_sheet = workbook.active
    items_sheet.title = ITEMS_SHEET
    _write_items(items_sheet, rubric)
    _write_form(workbook.create_sheet(FORM_SHEET), rubric)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def read_rubric_xlsx(data: bytes) -> Rubric:
    """The rubric a workbook laid out as write_rubric_xlsx does holds; problems name sheet, row, column."""
    try:
        workbook = load_workbook(BytesIO(data))
    except Exception as error:  # noqa: BLE001 - openpyxl fails on a broken file in many ways (zip, XML, parts)
        raise RubricError(
            [Problem(Location(path="workbook"), f"cannot read the workbook: {error}")]
        ) from error
    reader = _WorkbookReader()
    for sheet in (ITEMS_SHEET, FORM_SHEET):
        if sheet not in workbook.sheetnames:
            reader.problems.append(Problem(Location(sheet=sheet), f"the workbook has no sheet '{sheet}'"))
    if reader.problems:
        raise RubricError(reader.problems)
    form = reader.read_form(workbook[FORM_SHEET])
    form["categories"] = reader.read_items(workbook[ITEMS_SHEET])
    if reader.problems:
        raise RubricError(reader.problems)
    return load_rubric_data(form, reader.locate)


def _write_form(sheet, rubric: Rubric) -> None:
    sheet.append(["字段", "值", "说明"])
    for key, heading in FORM_FIELDS:
        sheet.append([key, getattr(rubric, key), heading])
    sheet.column_dimensions["B"].width = 48
    sheet.column_dimensions["C"].width = 12
    sheet["A1"].font = sheet["B1"].font = sheet["C1"].font = Font(bold=True)


def _write_items(sheet, rubric: Rubric) -> None:
    for index, (_, heading, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=heading)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    row = 2
    for category in rubric_data(rubric)["categories"]:
        category_start = row
        for group in category["groups"]:
            group_start = row
            method_start = row
            for position, item in enumerate(group["items"]):
                values = _item_cells(item)
                if position == 0:
                    values |= _group_cells(group)
                if row == category_start:
                    values |= _category_cells(category)
                if item.get("method_continued"):
                    del values["method"]
                else:
                    _merge(sheet, "method", method_start, row - 1)
                    method_start = row
                for key, value in values.items():
                    cell = sheet.cell(row=row, column=COLUMN[key], value=value)
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                row += 1
            _merge(sheet, "method", method_start, row - 1)
            for key in GROUP_COLUMNS:
                _merge(sheet, key, group_start, row - 1)
        for key in CATEGORY_COLUMNS:
            _merge(sheet, key, category_start, row - 1)


def _merge(sheet, key: str, first: int, last: int) -> None:
    if last > first:
        sheet.merge_cells(start_row=first, end_row=last, start_column=COLUMN[key], end_column=COLUMN[key])


def _category_cells(category: dict) -> dict:
    return {
        "category_title": category["title"],
        "category_code": category["code"],
        "category_points": category["points"],
    }


def _group_cells(group: dict) -> dict:
    return {"group_title": group["title"], "group_code": group["code"], "group_table": group["table"]}


def _item_cells(item: dict) -> dict:
    offered = item["not_applicable"] != NA_NOT_ALLOWED
    cells = {
        "text": item["text"],
        "points": item["points"],
        "method": item["method"],
        "id": item["id"],
        "code": item["code"],
        "outcomes": "\n".join(f"{o['key']} | {o['points']} | {o['label']}" for o in item["outcomes"]),
        "not_applicable": item["not_applicable"],
        "not_applicable_points": item.get("not_applicable_points"),
        "not_applicable_reason_required": (YES if item.get("not_applicable_reason_required", True) else NO)
        if offered
        else None,
        "earlier_ids": ", ".join(item.get("earlier_ids", ())) or None,
        "why": item.get("why"),
    }
    if "derive" in item:
        cells["derive"], cells["counts"] = _derive_cells(item["derive"])
    if "depends_on" in item:
        rule = item["depends_on"]
        cells["depends_on"] = f"{rule['item']}: {', '.join(rule['outcomes'])}"
    return {key: value for key, value in cells.items() if value is not None}


def _derive_cells(derive: dict) -> tuple[str, str | None]:
    """The counting rule as a TOML inline table, and its limits as TOML lines (max_count, per input)."""
    rule = {key: value for key, value in derive.items() if key not in ("max_count", "limits")}
    limits = {"max_count": derive["max_count"]} if "max_count" in derive else {}
    limits |= derive.get("limits", {})
    counts = "\n".join(f"{key} = {value}" for key, value in limits.items())
    return _toml_value(rule), counts or None


def _toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml_value(v)}" for key, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _WorkbookReader:
    """Reads the two sheets into the form's data, remembering the cell each value came from."""

    def __init__(self):
        self.problems: list[Problem] = []
        self.cells: dict[Path, Location] = {}

    def locate(self, path: Path) -> Location:
        found = nearest(self.cells, path)
        return found or Location(sheet=ITEMS_SHEET if path[:1] == ("categories",) else FORM_SHEET)

    def problem(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message))

    def read_form(self, sheet) -> dict:
        form: dict = {}
        known = dict(FORM_FIELDS)
        for row in range(2, sheet.max_row + 1):
            key = sheet.cell(row=row, column=1).value
            if key is None:
                continue
            if key not in known:
                self.problem(
                    Location(sheet=FORM_SHEET, row=row, column="A", column_title="字段"),
                    f"unknown field {key!r} (known: {', '.join(known)})",
                )
                continue
            self.cells[(key,)] = Location(sheet=FORM_SHEET, row=row, column="B", column_title=known[key])
            value = sheet.cell(row=row, column=2).value
            form[key] = _as_number(value) if key == "max_points" else _as_text(value)
        return form

    def read_items(self, sheet) -> list[dict]:
        self._check_headings(sheet)
        categories: list[dict] = []
        group: dict | None = None
        method_above: str | None = None
        for row in range(2, sheet.max_row + 1):
            cells = {key: sheet.cell(row=row, column=index).value for key, index in COLUMN.items()}
            if all(value is None or value == "" for value in cells.values()):
                continue
            starts_category = any(cells[key] is not None for key in CATEGORY_COLUMNS)
            if starts_category:
                categories.append(self._category(cells, row, len(categories)))
                group = None
            elif not categories:
                self.problem(self._at(row, "category_title"), "the first row must name its 大项")
                continue
            category = categories[-1]
            category_index = len(categories) - 1
            if any(cells[key] is not None for key in GROUP_COLUMNS):
                group = self._group(cells, row, category, category_index)
                method_above = None
            elif group is None:
                self.problem(self._at(row, "group_title"), "the first row of a 大项 must name its 中项")
                continue
            path = (
                "categories",
                category_index,
                "groups",
                len(category["groups"]) - 1,
                "items",
                len(group["items"]),
            )
            item = self._item(cells, row, path, method_above)
            method_above = item.get("method")
            group["items"].append(item)
        return categories

    def _check_headings(self, sheet) -> None:
        for key, heading, _ in COLUMNS:
            found = sheet.cell(row=1, column=COLUMN[key]).value
            if found != heading:
                self.problem(self._at(1, key), f"the heading must be {heading!r}, found {found!r}")

    def _at(self, row: int, key: str) -> Location:
        return Location(
            sheet=ITEMS_SHEET,
            row=row,
            column=get_column_letter(COLUMN[key]),
            column_title=COLUMNS[COLUMN[key] - 1][1],
        )

    def _note(self, path: Path, row: int, key: str) -> None:
        self.cells[path] = self._at(row, key)

    def _category(self, cells: dict, row: int, index: int) -> dict:
        path = ("categories", index)
        self._note(path, row, "category_code")
        for field, key in (
            ("code", "category_code"),
            ("title", "category_title"),
            ("points", "category_points"),
        ):
            self._note(path + (field,), row, key)
        self._note(path + ("groups",), row, "group_title")
        return {
            "code": _as_text(cells["category_code"]),
            "title": _as_text(cells["category_title"]),
            "points": _as_number(cells["category_points"]),
            "groups": [],
        }

    def _group(self, cells: dict, row: int, category: dict, category_index: int) -> dict:
        path = ("categories", category_index, "groups", len(category["groups"]))
        self._note(path, row, "group_code")
        for field, key in (("code", "group_code"), ("title", "group_title"), ("table", "group_table")):
            self._note(path + (field,), row, key)
        self._note(path + ("items",), row, "id")
        group = {
            "code": _as_text(cells["group_code"]),
            "title": _as_text(cells["group_title"]),
            "table": _as_text(cells["group_table"]),
            "items": [],
        }
        category["groups"].append(group)
        return group

    def _item(self, cells: dict, row: int, path: Path, method_above: str | None) -> dict:
        self._note(path, row, "id")
        simple = {
            "id": "id",
            "code": "code",
            "text": "text",
            "points": "points",
            "method": "method",
            "method_continued": "method",
            "outcomes": "outcomes",
            "derive": "derive",
            "not_applicable": "not_applicable",
            "not_applicable_points": "not_applicable_points",
            "not_applicable_reason_required": "not_applicable_reason_required",
            "depends_on": "depends_on",
            "earlier_ids": "earlier_ids",
            "why": "why",
        }
        for field, key in simple.items():
            self._note(path + (field,), row, key)
        item: dict = {
            "id": _as_text(cells["id"]),
            "code": _as_text(cells["code"]),
            "text": _as_text(cells["text"]),
            "points": _as_number(cells["points"]),
            "outcomes": self._outcomes(cells["outcomes"], row, path),
        }
        if cells["method"] is None and method_above is not None:
            item |= {"method": method_above, "method_continued": True}
        else:
            item["method"] = _as_text(cells["method"])
        for field in ("not_applicable", "why"):
            if cells[field] is not None:
                item[field] = _as_text(cells[field])
        if cells["not_applicable_points"] is not None:
            item["not_applicable_points"] = _as_number(cells["not_applicable_points"])
        if cells["not_applicable_reason_required"] is not None:
            item["not_applicable_reason_required"] = self._yes_no(
                cells["not_applicable_reason_required"], row
            )
        if cells["earlier_ids"] is not None:
            item["earlier_ids"] = _split_ids(_as_text(cells["earlier_ids"]))
        if cells["depends_on"] is not None:
            item["depends_on"] = self._dependency(_as_text(cells["depends_on"]), row)
        derive = self._derive(cells["derive"], cells["counts"], row, path)
        if derive is not None:
            item["derive"] = derive
        return {key: value for key, value in item.items() if value is not None}

    def _outcomes(self, value: object, row: int, path: Path) -> list[dict] | None:
        if value is None:
            return None
        outcomes = []
        for number, line in enumerate(str(value).splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|", 2)]
            if len(parts) != 3:
                self.problem(
                    self._at(row, "outcomes"), f"line {number}: write 'key | points | label', got {line!r}"
                )
                continue
            key, points, label = parts
            self._note(path + ("outcomes", len(outcomes)), row, "outcomes")
            outcomes.append({"key": key, "points": _as_number(points), "label": label})
        return outcomes

    def _yes_no(self, value: object, row: int) -> object:
        answers = {YES: True, NO: False, True: True, False: False}
        if value in answers:
            return answers[value]
        self.problem(self._at(row, "not_applicable_reason_required"), f"write {YES} or {NO}, got {value!r}")
        return None

    def _dependency(self, text: str, row: int) -> dict | None:
        other, separator, outcomes = text.partition(":")
        if not separator or not other.strip():
            self.problem(self._at(row, "depends_on"), f"write '<小项编号>: <结果键>, ...', got {text!r}")
            return None
        return {"item": other.strip(), "outcomes": _split_ids(outcomes)}

    def _derive(self, rule: object, counts: object, row: int, path: Path) -> dict | None:
        self._note(path + ("derive",), row, "derive")
        self._note(path + ("derive", "max_count"), row, "counts")
        self._note(path + ("derive", "limits"), row, "counts")
        if rule is None:
            if counts is not None:
                self.problem(self._at(row, "counts"), "count limits are set, but the item has no 计数规则")
            return None
        derive = self._toml(f"value = {rule}", row, "derive")
        if derive is None or not isinstance(derive.get("value"), dict):
            if derive is not None:
                self.problem(self._at(row, "derive"), "write the counting rule as { kind = ..., ... }")
            return None
        derive = derive["value"]
        limits = self._toml(str(counts), row, "counts") if counts is not None else {}
        if limits is None:
            return derive
        if "max_count" in limits:
            derive["max_count"] = limits.pop("max_count")
        if limits:
            derive["limits"] = limits
        return derive

    def _toml(self, text: str, row: int, key: str) -> dict | None:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            self.problem(self._at(row, key), f"cannot read it: {error}")
            return None


def _as_text(value: object) -> object:
    """A cell's text; a whole number typed where text belongs (a code like 1) reads as its digits."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _as_number(value: object) -> object:
    """A cell's whole number, whether stored as a number or typed as digits; anything else stays as found."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


def _split_ids(text: str) -> list[str]:
    return [part.strip() for part in text.replace("、", ",").replace("，", ",").split(",") if part.strip()]
