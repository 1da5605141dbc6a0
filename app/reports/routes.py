"""The official report as a page and a PDF, and results of many assessments for administrators."""

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import format_date
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import FINALIZED, Assessment, Finding
from app.reports import bp
from app.services import assessment_list, regions
from app.services.reports import document, export, pdf
from app.web.access import admin_required, viewable_assessment
from app.web.forms import AssessmentFilterForm
from app.web.report_files import send_report_pdf


def with_rectification() -> bool:
    return request.args.get("rectification") == "1"


@bp.get("/assessments/<int:assessment_id>")
@login_required
def report(assessment_id: int):
    """The filled official form, laid out as printed, to print on A4."""
    assessment = viewable_assessment(assessment_id)
    return render_template(
        "reports/report.html",
        report=document.build(assessment, with_rectification()),
        photo_src=lambda photo: url_for("photos.image", photo_id=photo.id),
        with_rectification=with_rectification(),
    )


@bp.get("/assessments/<int:assessment_id>.pdf")
@login_required
def report_pdf(assessment_id: int):
    """The same report as a PDF download, or a page saying it is being prepared."""
    assessment = viewable_assessment(assessment_id)
    day = format_date(assessment.finalized_at or assessment.started_at, "yyyyMMdd")
    return send_report_pdf(
        assessment,
        with_rectification(),
        f"report-{assessment.station.code}-{day}.pdf",
        {"Cache-Control": "private, no-store"},
        f"user-{current_user.id}",
    )


@bp.after_app_request
def draw_new_report_versions(response):
    """Reports finalized or changed by this request start drawing now, so downloads find them kept."""
    pdf.draw_new_versions(f"user-{current_user.id}" if current_user.is_authenticated else None)
    return response


def filtered_assessments() -> list[Assessment]:
    """The administrators' assessment list filters: region, station, status, assessor and start
    dates, within what the administrator sees.

    Finalized assessments only, unless a status is asked for or `all=1` (those in progress have
    partial totals, which an analysis must not take for results)."""
    form = (
        AssessmentFilterForm(request.args)
        .offer_assessors(assessment_list.assessors(current_user))
        .offer_regions(regions.visible(current_user))
    )
    filters = form.required_filters()
    if not filters["status"] and request.args.get("all") != "1":
        filters["status"] = FINALIZED
    statement = assessment_list.search(actor=current_user, **filters).options(
        selectinload(Assessment.findings).selectinload(Finding.photos), selectinload(Assessment.team)
    )
    return db.session.scalars(statement).unique().all()


@bp.get("/results.csv")
@admin_required
def results_csv():
    """Every item of the filtered assessments as CSV, with a BOM so Excel reads the Chinese."""
    return Response(
        export.as_csv(filtered_assessments()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="results.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/deductions.csv")
@admin_required
def deductions_csv():
    """Every deduction of the filtered assessments with each answer to it, as CSV."""
    return Response(
        export.deductions_csv(filtered_assessments()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="deductions.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/results.json")
@admin_required
def results_json():
    """The filtered assessments' whole record as JSON, for other systems."""
    response = jsonify(export.as_json(filtered_assessments()))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/results.xlsx")
@admin_required
def results_xlsx():
    """Every item of the filtered assessments as an Excel workbook."""
    return Response(
        export.as_xlsx(filtered_assessments()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": 'attachment; filename="results.xlsx"',
            "Cache-Control": "private, no-store",
        },
    )
