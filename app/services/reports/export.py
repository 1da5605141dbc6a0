"""Results of many assessments for analysis: one row per assessment and item, as CSV or XLSX.

Both files hold the same columns, headed in the user's language: who, where and when, the
rubric's category, group and item, the outcome, the points, the counts the assessor entered and
what they wrote. The XLSX adds a second sheet with one row per assessment (its total and each
category's subtotal), freezes and filters the header, and keeps numbers and dates typed so a
pivot table needs no cleaning.

A spreadsheet must show what was recorded, never run it: text that a spreadsheet would read as a
formula (it starts with = + - @, a tab or a carriage return) is neutralised, as the OWASP CSV
injection guidance asks, without changing what the cell shows. In the XLSX such text is a plain
string cell (never a formula) marked with the quote prefix. In the CSV, such text, and codes
that LibreOffice or Excel would turn into dates or numbers (item 1.1.1 became 2001-01-01), is
written as a formula that is only a string constant, ="1.1.1", which both show as the text
itself; nothing in it can be called.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.models import Assessment
from app.services import regions
from app.services.assessments import INPUT_LABELS, STATUS_LABELS, scorecard
from app.services.rubrics import rubric_of
from rubric import NOT_APPLICABLE, Item, ItemScore, Scorecard

TEXT = "text"
CODE = "code"
"""Text that looks like a number or a date (1.1.1, 6.5.1, version 1): kept as text everywhere."""
NUMBER = "number"
DATE = "date"

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_STRING_LIMIT = 255
"""The longest string constant a formula may hold; longer text is joined from several."""
DATE_FORMAT = "yyyy-mm-dd"
YES = _l("Yes")
NO = _l("No")


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    width: int
    kind: str = TEXT


IDENTITY_COLUMNS = (
    Column("assessment_id", _l("Assessment no."), 10, NUMBER),
    Column("station_code", _l("Station code"), 12, CODE),
    Column("station_name", _l("Station name"), 30),
    Column("region", _l("Region"), 24),
    Column("status", _l("Status"), 9),
    Column("started", _l("Started on"), 12, DATE),
    Column("finalized", _l("Finalized on"), 12, DATE),
    Column("assessors", _l("Assessors"), 22),
    Column("lead_assessor", _l("Lead assessor"), 10),
    Column("rubric_id", _l("Rubric"), 16, CODE),
    Column("rubric_version", _l("Rubric version"), 9, CODE),
)
RESULT_COLUMNS = IDENTITY_COLUMNS + (
    Column("category", _l("Category"), 20),
    Column("group", _l("Group"), 26),
    Column("item_id", _l("Item no."), 9, CODE),
    Column("item_text", _l("Item"), 40),
    Column("outcome", _l("Outcome key"), 12, CODE),
    Column("outcome_label", _l("Outcome"), 26),
    Column("score", _l("Score"), 7, NUMBER),
    Column("max_points", _l("Maximum"), 7, NUMBER),
    Column("deduction", _l("Deduction"), 7, NUMBER),
    Column("not_applicable", _l("Not applicable"), 8),
    Column("problems", INPUT_LABELS["problems"], 10, NUMBER),
    Column("serious", INPUT_LABELS["serious"], 10),
    Column("papers_checked", INPUT_LABELS["papers_checked"], 10, NUMBER),
    Column("papers_with_errors", INPUT_LABELS["papers_with_errors"], 10, NUMBER),
    Column("note", _l("Note"), 40),
    Column("no_photo_reason", _l("Why there is no photo"), 30),
    Column("assessment_total", _l("Assessment total"), 10, NUMBER),
)
SUMMARY_COLUMNS = IDENTITY_COLUMNS + (
    Column("total", _l("Total"), 8, NUMBER),
    Column("max_points", _l("Maximum"), 8, NUMBER),
    Column("deduction", _l("Deduction"), 8, NUMBER),
)


def result_rows(assessments: Iterable[Assessment]) -> list[dict]:
    """Every item of every assessment in the form's order; an unscored item leaves its result blank."""
    rows = []
    region_paths = regions.paths()
    for assessment in assessments:
        card = scorecard(assessment)
        identity = _identity(assessment, card, region_paths)
        rubric = rubric_of(assessment)
        for item in rubric.items:
            category = rubric.category(item.category_code)
            rows.append(
                identity
                | {
                    "category": f"{category.code}．{category.title}",
                    "group": f"{item.group.code}{item.group.title}",
                    "item_id": item.id,
                    "item_text": item.text,
                    "max_points": item.points,
                    "assessment_total": card.total,
                }
                | _result(item, card.items.get(item.id), assessment)
            )
    return rows


def summary_rows(assessments: Iterable[Assessment]) -> tuple[list[Column], list[dict]]:
    """One row per assessment: its total and each category's subtotal, a column per category."""
    category_columns: dict[str, Column] = {}
    rows = []
    region_paths = regions.paths()
    for assessment in assessments:
        card = scorecard(assessment)
        row = _identity(assessment, card, region_paths) | {
            "total": card.total,
            "max_points": card.max_points,
            "deduction": card.deduction_total,
        }
        for category_score in card.categories:
            category = category_score.category
            title = f"{category.code}．{category.title}"
            category_columns.setdefault(title, Column(f"category {title}", title, 12, NUMBER))
            row[f"category {title}"] = category_score.score
        rows.append(row)
    return list(SUMMARY_COLUMNS) + list(category_columns.values()), rows


def as_csv(assessments: list[Assessment]) -> bytes:
    """UTF-8 with a BOM, so that Excel and LibreOffice read the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_text(str(column.label)) for column in RESULT_COLUMNS])
    for row in result_rows(assessments):
        writer.writerow([_csv_value(row.get(column.key), column) for column in RESULT_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(assessments: list[Assessment]) -> bytes:
    workbook = Workbook(write_only=True)
    _write_sheet(workbook, str(_l("Item results")), RESULT_COLUMNS, result_rows(assessments))
    columns, rows = summary_rows(assessments)
    _write_sheet(workbook, str(_l("Assessment totals")), columns, rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _identity(assessment: Assessment, card: Scorecard, region_paths: dict[int, str]) -> dict:
    lead = assessment.lead_assessor
    return {
        "assessment_id": assessment.id,
        "station_code": assessment.station.code,
        "station_name": assessment.station.name,
        "region": region_paths.get(assessment.station.region_id, ""),
        "status": str(STATUS_LABELS.get(assessment.status, assessment.status)),
        "started": _local_date(assessment.started_at),
        "finalized": _local_date(assessment.finalized_at),
        "assessors": "、".join(user.name for user in assessment.team),
        "lead_assessor": lead.name if lead else "",
        "rubric_id": assessment.rubric_id,
        "rubric_version": assessment.rubric_version,
    }


def _result(item: Item, result: ItemScore | None, assessment: Assessment) -> dict:
    finding = assessment.finding_for(item.id)
    written = {
        "note": finding.note if finding else "",
        "no_photo_reason": finding.no_photo_reason if finding else "",
    }
    if result is None:
        return written
    inputs = result.inputs or {}
    serious = inputs.get("serious")
    return written | {
        "outcome": result.outcome.key,
        "outcome_label": result.outcome.label,
        "score": result.score,
        "deduction": result.deduction,
        "not_applicable": str(YES if result.outcome.key == NOT_APPLICABLE else NO),
        "problems": inputs.get("problems"),
        "serious": None if serious is None else str(YES if serious else NO),
        "papers_checked": inputs.get("papers_checked"),
        "papers_with_errors": inputs.get("papers_with_errors"),
    }


def _local_date(moment: datetime | None) -> date | None:
    return to_user_timezone(moment).date() if moment else None


def _csv_value(value: object, column: Column) -> object:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return csv_text(value, always=column.kind == CODE)
    return value


def csv_text(text: str, always: bool = False) -> str:
    """Text as a spreadsheet should show it: a string constant where it could be read otherwise."""
    if not text or not (always or text.startswith(FORMULA_TRIGGERS)):
        return text
    pieces = [text[i : i + EXCEL_STRING_LIMIT] for i in range(0, len(text), EXCEL_STRING_LIMIT)]
    return "=" + "&".join('"' + piece.replace('"', '""') + '"' for piece in pieces)


def _write_sheet(workbook: Workbook, title: str, columns: list[Column] | tuple, rows: list[dict]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([_header_cell(sheet, column) for column in columns])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row.get(column.key), column) for column in columns])


def _header_cell(sheet, column: Column) -> WriteOnlyCell:
    cell = _text_cell(sheet, str(column.label))
    cell.font = Font(bold=True)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _xlsx_cell(sheet, value: object, column: Column) -> WriteOnlyCell:
    if isinstance(value, str):
        return _text_cell(sheet, value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


def _text_cell(sheet, text: str) -> WriteOnlyCell:
    """A string cell, never a formula, whatever the text starts with."""
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell
