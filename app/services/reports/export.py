"""Results of many assessments for analysis: the whole finalized record, as CSV, XLSX or JSON.

One row per assessment and item, headed in the user's language: who, where and when (the
station and people as the record was finalized), the form and its version, the sign-off, the
rubric's category, group and item, the outcome, the points, the counts the assessor entered and
what they wrote, and the item's rectification (deadline, status, the latest answer and its
review). A second table holds one row per answer to each deduction, so its whole rectification
history reads in order. The XLSX adds these as sheets, and one with a row per assessment (its
total and each category's subtotal); it freezes and filters the header, and keeps numbers and
dates typed so a pivot table needs no cleaning. The JSON holds the same record nested, for
other systems.

A spreadsheet must show what was recorded, never run it. In the CSV (UTF-8 with a BOM, read
literally by pandas or a database import) codes are plain text, and user text that a spreadsheet
would read as a formula (it starts with = + - @, a tab or a carriage return) gets a leading
apostrophe, as the OWASP CSV injection guidance advises. In the XLSX such text is a plain string
cell (never a formula) marked with the quote prefix, which shows the text itself.
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

from app.models import ABSENT, LEAD_ASSESSOR, REFUSED, SIGNED, STATION_REPRESENTATIVE, Assessment
from app.services import deadlines, frozen, rectifications, regions, signoff
from app.services.assessments import INPUT_LABELS, STATUS_LABELS, scorecard
from app.services.rubrics import rubric_of
from rubric import NOT_APPLICABLE, Item, ItemScore, Scorecard

TEXT = "text"
CODE = "code"
"""Text that looks like a number or a date (1.1.1, 6.5.1, version 1): kept as text everywhere."""
NUMBER = "number"
DATE = "date"

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATETIME = "datetime"
SIGNATURE_LABELS = {SIGNED: _l("Signed in person"), ABSENT: _l("Absent"), REFUSED: _l("Refused to sign")}
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
SIGNOFF_COLUMNS = (
    Column("lead_signer", _l("Lead assessor's signature: name"), 10),
    Column("lead_signature", _l("Lead assessor's signature: status"), 9),
    Column("lead_signed_at", _l("Lead assessor's signature: time"), 16, DATETIME),
    Column("representative_signer", _l("Station representative's signature: name"), 10),
    Column("representative_signature", _l("Station representative's signature: status"), 9),
    Column("representative_signed_at", _l("Station representative's signature: time"), 16, DATETIME),
)
ANSWER_COLUMNS = (
    Column("answer_text", _l("Rectification answer"), 40),
    Column("answered_by", _l("Answered by"), 10),
    Column("answered_at", _l("Answered at"), 16, DATETIME),
    Column("review", _l("Review result"), 9),
    Column("review_comment", _l("Review comment"), 30),
    Column("reviewed_by", _l("Reviewed by"), 10),
    Column("reviewed_at", _l("Reviewed at"), 16, DATETIME),
)
RECTIFICATION_COLUMNS = (
    Column("due", _l("Rectification deadline"), 12, DATE),
    Column("rectification_status", _l("Rectification status"), 9),
) + ANSWER_COLUMNS
RESULT_COLUMNS = (
    IDENTITY_COLUMNS
    + SIGNOFF_COLUMNS
    + (
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
    + RECTIFICATION_COLUMNS
)
DEDUCTION_COLUMNS = (
    IDENTITY_COLUMNS
    + (
        Column("item_id", _l("Item no."), 9, CODE),
        Column("item_text", _l("Item"), 40),
        Column("outcome_label", _l("Outcome"), 26),
        Column("deduction", _l("Deduction"), 7, NUMBER),
        Column("note", _l("Note"), 40),
        Column("due", _l("Rectification deadline"), 12, DATE),
        Column("rectification_status", _l("Rectification status"), 9),
        Column("answer_number", _l("Answer no."), 7, NUMBER),
    )
    + ANSWER_COLUMNS
)
SUMMARY_COLUMNS = (
    IDENTITY_COLUMNS
    + SIGNOFF_COLUMNS
    + (
        Column("total", _l("Total"), 8, NUMBER),
        Column("max_points", _l("Maximum"), 8, NUMBER),
        Column("deduction", _l("Deduction"), 8, NUMBER),
    )
)


def result_rows(assessments: Iterable[Assessment]) -> list[dict]:
    """Every item of every assessment in the form's order; an unscored item leaves its result blank."""
    rows = []
    region_paths = regions.paths()
    for assessment in assessments:
        card = scorecard(assessment)
        identity = _identity(assessment, card, region_paths) | _signoff(assessment)
        rubric = rubric_of(assessment)
        states = _deduction_states(assessment)
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
                | _rectification(states.get(item.id))
            )
    return rows


def deduction_rows(assessments: Iterable[Assessment]) -> list[dict]:
    """One row per answer to each deduction (one with no answer yet), in the form's and the answers' order."""
    rows = []
    region_paths = regions.paths()
    for assessment in assessments:
        identity = _identity(assessment, None, region_paths)
        for state in _deduction_states(assessment).values():
            deduction = state.deduction
            base = identity | {
                "item_id": deduction.item.id,
                "item_text": deduction.item.text,
                "outcome_label": deduction.outcome.label,
                "deduction": deduction.deduction,
                "note": deduction.note,
                "due": deadlines.due_date(state.finding),
                "rectification_status": str(rectifications.STATUS_LABELS[state.status]),
            }
            if not state.answers:
                rows.append(base)
            for number, answer in enumerate(state.answers, start=1):
                rows.append(base | {"answer_number": number} | _answer(answer))
    return rows


def _deduction_states(assessment: Assessment) -> dict:
    if not assessment.is_finalized:
        return {}
    return {state.deduction.item.id: state for state in rectifications.deductions(assessment)}


def _signoff(assessment: Assessment) -> dict:
    facts = frozen.facts(assessment)
    row = {}
    for role, prefix in ((LEAD_ASSESSOR, "lead"), (STATION_REPRESENTATIVE, "representative")):
        signature = signoff.signature_for(assessment, role) if assessment.is_finalized else None
        if signature is None:
            continue
        kept = facts.signers.get(role, {})
        row |= {
            f"{prefix}_signer": kept.get("name", signature.name),
            f"{prefix}_signature": str(SIGNATURE_LABELS.get(signature.status, signature.status)),
            f"{prefix}_signed_at": _local_time(signature.signed_at),
        }
    return row


def _rectification(state) -> dict:
    if state is None:
        return {}
    row = {
        "due": deadlines.due_date(state.finding),
        "rectification_status": str(rectifications.STATUS_LABELS[state.status]),
    }
    return row | (_answer(state.latest) if state.latest else {})


def _answer(answer) -> dict:
    return {
        "answer_text": answer.text,
        "answered_by": answer.answered_by.name,
        "answered_at": _local_time(answer.answered_at),
        "review": str(rectifications.STATUS_LABELS[answer.review]) if answer.review else None,
        "review_comment": answer.review_comment or None,
        "reviewed_by": answer.reviewed_by.name if answer.reviewed_by else None,
        "reviewed_at": _local_time(answer.reviewed_at),
    }


def summary_rows(assessments: Iterable[Assessment]) -> tuple[list[Column], list[dict]]:
    """One row per assessment: its total and each category's subtotal, a column per category."""
    category_columns: dict[str, Column] = {}
    rows = []
    region_paths = regions.paths()
    for assessment in assessments:
        card = scorecard(assessment)
        row = (
            _identity(assessment, card, region_paths)
            | _signoff(assessment)
            | {
                "total": card.total,
                "max_points": card.max_points,
                "deduction": card.deduction_total,
            }
        )
        for category_score in card.categories:
            category = category_score.category
            title = f"{category.code}．{category.title}"
            category_columns.setdefault(title, Column(f"category {title}", title, 12, NUMBER))
            row[f"category {title}"] = category_score.score
        rows.append(row)
    return list(SUMMARY_COLUMNS) + list(category_columns.values()), rows


def as_csv(assessments: list[Assessment]) -> bytes:
    """One row per assessment and item; UTF-8 with a BOM, so that Excel and LibreOffice read the Chinese."""
    return _csv(RESULT_COLUMNS, result_rows(assessments))


def deductions_csv(assessments: list[Assessment]) -> bytes:
    """One row per answer to each deduction, with the deduction it answers."""
    return _csv(DEDUCTION_COLUMNS, deduction_rows(assessments))


def _csv(columns, rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_text(str(column.label)) for column in columns])
    for row in rows:
        writer.writerow([_csv_value(row.get(column.key), column) for column in columns])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(assessments: list[Assessment]) -> bytes:
    workbook = Workbook(write_only=True)
    _write_sheet(workbook, str(_l("Item results")), RESULT_COLUMNS, result_rows(assessments))
    columns, rows = summary_rows(assessments)
    _write_sheet(workbook, str(_l("Assessment totals")), columns, rows)
    _write_sheet(
        workbook, str(_l("Deductions and rectification")), DEDUCTION_COLUMNS, deduction_rows(assessments)
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _identity(assessment: Assessment, card: Scorecard | None, region_paths: dict[int, str]) -> dict:
    """Who, where and when, as the record prints it (app/services/frozen.py), and the station's
    region as it stands."""
    facts = frozen.facts(assessment)
    return {
        "assessment_id": assessment.id,
        "station_code": facts.station_code,
        "station_name": facts.station_name,
        "region": region_paths.get(assessment.station.region_id, ""),
        "status": str(STATUS_LABELS.get(assessment.status, assessment.status)),
        "started": _local_date(assessment.started_at),
        "finalized": _local_date(assessment.finalized_at),
        "assessors": "、".join(name for name, _lead in facts.assessors),
        "lead_assessor": facts.lead_assessor,
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


def _local_time(moment: datetime | None) -> datetime | None:
    """A moment in the configured time zone, to the minute, without a zone (as a spreadsheet keeps it)."""
    if moment is None:
        return None
    return to_user_timezone(moment).replace(tzinfo=None, second=0, microsecond=0)


def _csv_value(value: object, column: Column) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return csv_text(value)
    return value


def csv_text(text: str) -> str:
    """Text as a spreadsheet should show it, never run: a leading apostrophe where it could start a
    formula (OWASP's advice for CSV injection); everything else, codes included, as it is."""
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


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
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


def _text_cell(sheet, text: str) -> WriteOnlyCell:
    """A string cell, never a formula, whatever the text starts with."""
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def as_json(assessments: list[Assessment]) -> dict:
    """The same record nested, for other systems: times in UTC (ISO 8601), codes and keys as stored."""
    return {"assessments": [_assessment_json(assessment) for assessment in assessments]}


def _assessment_json(assessment: Assessment) -> dict:
    card = scorecard(assessment)
    facts = frozen.facts(assessment)
    rubric = rubric_of(assessment)
    states = _deduction_states(assessment)
    return {
        "id": assessment.id,
        "status": assessment.status,
        "station": {"code": facts.station_code, "name": facts.station_name, "address": facts.station_address},
        "started_at": _utc(assessment.started_at),
        "finalized_at": _utc(assessment.finalized_at),
        "lead_assessor": facts.lead_assessor,
        "assessors": [name for name, _lead in facts.assessors],
        "form": {"id": facts.form_id, "version": facts.form_version, "title": facts.form_title},
        "total": card.total,
        "max_points": card.max_points,
        "deduction": card.deduction_total,
        "rectification_due": _iso_day(assessment.rectification_due),
        "signoff": {
            signature.role: {
                "name": facts.signers.get(signature.role, {}).get("name", signature.name),
                "status": signature.status,
                "note": signature.note,
                "signed_at": _utc(signature.signed_at),
                "recorded_by": facts.recorded_by(signature),
            }
            for signature in (assessment.signatures if assessment.is_finalized else ())
        },
        "items": [
            _item_json(item, card.items.get(item.id), assessment, states.get(item.id))
            for item in rubric.items
        ],
    }


def _item_json(item: Item, result: ItemScore | None, assessment: Assessment, state) -> dict:
    finding = assessment.finding_for(item.id)
    return {
        "item_id": item.id,
        "category": item.category_code,
        "group": item.group.code,
        "max_points": item.points,
        "outcome": result.outcome.key if result else None,
        "outcome_label": result.outcome.label if result else None,
        "score": result.score if result else None,
        "deduction": result.deduction if result else None,
        "inputs": dict(result.inputs) if result and result.inputs else None,
        "note": finding.note if finding else "",
        "no_photo_reason": finding.no_photo_reason if finding else "",
        "photos": len(finding.photos) if finding else 0,
        "rectification": None
        if state is None
        else {
            "due": _iso_day(deadlines.due_date(state.finding)),
            "status": state.status,
            "answers": [
                {
                    "text": answer.text,
                    "answered_by": answer.answered_by.name,
                    "answered_at": _utc(answer.answered_at),
                    "review": answer.review,
                    "review_comment": answer.review_comment,
                    "reviewed_by": answer.reviewed_by.name if answer.reviewed_by else None,
                    "reviewed_at": _utc(answer.reviewed_at),
                }
                for answer in state.answers
            ],
        },
    }


def _utc(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def _iso_day(day: date | None) -> str | None:
    return day.isoformat() if day else None
