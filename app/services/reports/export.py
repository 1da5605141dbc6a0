"""Results of many assessments, one row per assessment and item, as CSV (UTF-8 with BOM) or XLSX."""

import csv
import io

from flask_babel import format_date
from openpyxl import Workbook

from app.models import Assessment
from app.rubrics import rubric_of
from app.services.assessments import scorecard

COLUMNS = (
    "station_code",
    "station_name",
    "date",
    "status",
    "assessors",
    "item_id",
    "item_text",
    "max_points",
    "score",
    "outcome",
    "note",
)


def rows(assessments: list[Assessment]):
    """The header, then every item of every assessment in the form's order; unscored items stay blank."""
    yield COLUMNS
    for assessment in assessments:
        card = scorecard(assessment)
        day = assessment.finalized_at or assessment.started_at
        common = (
            assessment.station.code,
            assessment.station.name,
            format_date(day, "yyyy-MM-dd"),
            assessment.status,
            "、".join(user.name for user in assessment.team),
        )
        for item in rubric_of(assessment).items:
            result = card.items.get(item.id)
            yield common + (
                item.id,
                item.text,
                item.points,
                result.score if result else None,
                result.outcome.label if result else "",
                result.note if result else "",
            )


def as_csv(assessments: list[Assessment]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows(assessments):
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(assessments: list[Assessment]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("results")
    for row in rows(assessments):
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
