from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import (
    ImportConfirmForm,
    ImportForm,
    OutboxImportForm,
    PasswordResetForm,
    PeriodForm,
    StationForm,
    UserCreateForm,
    UserEditForm,
)
from app.extensions import db
from app.models import Assessment, Station, User
from app.services import (
    assessment_list,
    assessments,
    audit,
    charts,
    dashboard,
    deadlines,
    people,
    sessions,
    stations,
    timeline,
)
from app.services import outbox_import as outbox_import_service
from app.services.assessments import STATUS_LABELS
from app.services.paging import paginate
from app.services.refusals import ImportFileError
from app.services.station_import import check, read_rows
from app.web.access import admin_required
from app.web.forms import AssessmentFilterForm, ReopenForm
from app.web.requests import is_htmx, render_swap, safe_next


def query_args(*names: str) -> dict:
    """The current filters, for the pager's links."""
    return {name: request.args[name] for name in names if request.args.get(name)}


def form_status() -> int:
    return 422 if request.method == "POST" else 200


@bp.get("/")
@admin_required
def dashboard_page():
    """Stations assessed in a period, the spread of their totals and the items losing points most."""
    form = PeriodForm(request.args)
    period = dashboard.Period.last_twelve_months()
    if form.validate() and (form.start.data or form.end.data):
        period = dashboard.Period(form.start.data or period.start, form.end.data or period.end)
        if period.start > period.end:
            form.end.errors = [_("The end of the period comes before its start.")]
            period = dashboard.Period.last_twelve_months()
    form.start.data, form.end.data = period.start, period.end
    order = request.args.get("order", "lowest")
    spread = dashboard.spread(period)
    totals = dashboard.station_totals(period, request.args.get("page"), order, total=spread.stations)
    context = {
        "form": form,
        "period": period,
        "order": order,
        "totals": totals,
        "sparkline": charts.sparkline,
    }
    if is_htmx():
        return render_swap("admin/dashboard.html", "admin/_station_totals.html", **context)
    summary = dashboard.summary(period)
    top = dashboard.top_deductions(period, summary["assessments_finalized"])
    return render_swap(
        "admin/dashboard.html",
        "admin/_station_totals.html",
        summary=summary,
        spread=spread,
        histogram=charts.columns([(b.label, b.count) for b in spread.buckets]),
        top=top,
        top_chart=charts.rows([(entry.item.code, entry.assessments) for entry in top]),
        overdue=deadlines.overdue_by_station(deadlines.today()),
        **context,
    )


@bp.get("/stations")
@admin_required
def station_list():
    """Stations by code, searchable by code or name."""
    query = request.args.get("q", "").strip()
    page = paginate(stations.search(query), request.args.get("page"))
    return render_swap("admin/stations.html", "admin/_stations.html", page=page, q=query)


@bp.route("/stations/new", methods=["GET", "POST"])
@admin_required
def station_new():
    """Add one station."""
    form = StationForm()
    if form.validate_on_submit():
        station = stations.create(form.values(), current_user)
        db.session.commit()
        flash(_("Station %(code)s created.", code=station.code))
        return redirect(url_for("admin.station_list", q=station.code))
    return render_template("admin/station_form.html", form=form, station=None), form_status()


@bp.route("/stations/<int:station_id>", methods=["GET", "POST"])
@admin_required
def station_edit(station_id: int):
    """Change a station's details; deactivate or reactivate it."""
    station = db.get_or_404(Station, station_id)
    form = StationForm(obj=station, station=station)
    if form.validate_on_submit():
        stations.update(station, form.values(), current_user)
        db.session.commit()
        flash(_("Station %(code)s saved.", code=station.code))
        return redirect(url_for("admin.station_edit", station_id=station.id))
    return render_template("admin/station_form.html", form=form, station=station), form_status()


@bp.post("/stations/<int:station_id>/deactivate")
@admin_required
def station_deactivate(station_id: int):
    """No new assessments start at a deactivated station; its history stays."""
    station = db.get_or_404(Station, station_id)
    stations.set_active(station, False, current_user)
    db.session.commit()
    flash(_("Station %(code)s deactivated.", code=station.code))
    return redirect(url_for("admin.station_edit", station_id=station.id))


@bp.post("/stations/<int:station_id>/reactivate")
@admin_required
def station_reactivate(station_id: int):
    """Make a deactivated station available for assessments again."""
    station = db.get_or_404(Station, station_id)
    stations.set_active(station, True, current_user)
    db.session.commit()
    flash(_("Station %(code)s reactivated.", code=station.code))
    return redirect(url_for("admin.station_edit", station_id=station.id))


@bp.route("/stations/import", methods=["GET", "POST"])
@admin_required
def station_import():
    """Upload a CSV or XLSX file and see which rows would be imported and which are rejected."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("admin/station_import.html", form=form), form_status()
    upload = form.file.data
    try:
        rows = read_rows(upload.filename, upload.read())
    except ImportFileError as error:
        form.file.errors.append(error.message)
        return render_template("admin/station_import.html", form=form), 422
    report = check(rows)
    confirm = ImportConfirmForm(rows=stations.sign_good_rows(report, upload.filename))
    return render_template(
        "admin/station_import.html", form=form, report=report, confirm=confirm, filename=upload.filename
    )


@bp.post("/stations/import/confirm")
@admin_required
def station_import_confirm():
    """Import the previewed good rows in one transaction, or none if one has become bad meanwhile."""
    filename, rows = stations.unsign_rows(ImportConfirmForm().rows.data)
    report = stations.import_rows(rows, filename, current_user)
    if report.rejected or not report.good:
        db.session.rollback()
        return render_template(
            "admin/station_import.html", form=ImportForm(), report=report, filename=filename, stale=True
        ), 409
    db.session.commit()
    flash(_("%(n)d stations imported from %(file)s.", n=len(report.good), file=filename))
    return redirect(url_for("admin.station_list"))


@bp.get("/users")
@admin_required
def user_list():
    """Everyone with an account, searchable by username or name, filtered by role."""
    query, role = request.args.get("q", "").strip(), request.args.get("role", "")
    page = paginate(people.search(query, role), request.args.get("page"))
    return render_swap(
        "admin/users.html", "admin/_users.html", page=page, q=query, role=role, roles=people.ROLE_LABELS
    )


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    """Create an assessor, a station's staff member or an administrator, with a first password."""
    form = UserCreateForm()
    if form.validate_on_submit():
        user = people.create(
            form.username.data,
            form.display_name.data,
            form.role.data,
            form.station,
            form.password.data,
            email=form.email.data,
            actor=current_user,
        )
        db.session.commit()
        flash(_("User %(name)s created.", name=user.username))
        return redirect(url_for("admin.user_list", q=user.username))
    return render_template(
        "admin/user_new.html", form=form, station_choices=people.station_choices()
    ), form_status()


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    """Change a user's name, role and station; reset their password; deactivate or reactivate them."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user, station_code=user.station.code if user.station else "")
    if form.validate_on_submit():
        people.update(
            user, form.display_name.data, form.role.data, form.station, current_user, email=form.email.data
        )
        db.session.commit()
        flash(_("User %(name)s saved.", name=user.username))
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_user(user, form=form, status=form_status())


def render_user(user: User, form=None, password_form=None, status: int = 200):
    form = form or UserEditForm(obj=user, station_code=user.station.code if user.station else "")
    password_form = password_form or PasswordResetForm(formdata=None)
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        password_form=password_form,
        roles=people.ROLE_LABELS,
        session_count=sessions.count(user),
        station_choices=people.station_choices(),
    ), status


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id: int):
    """Set a new password for a user who lost theirs."""
    user = db.get_or_404(User, user_id)
    password_form = PasswordResetForm(username=user.username)
    if not password_form.validate_on_submit():
        return render_user(user, password_form=password_form, status=422)
    people.reset_password(user, password_form.password.data, current_user)
    db.session.commit()
    flash(_("The password of %(name)s was reset.", name=user.username))
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/sessions/end")
@admin_required
def user_sessions_end(user_id: int):
    """Log a user out on every device, say when a phone is lost."""
    user = db.get_or_404(User, user_id)
    ended = people.end_sessions(user, current_user)
    db.session.commit()
    flash(_("%(name)s was logged out on %(n)d devices.", name=user.username, n=ended))
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def user_deactivate(user_id: int):
    """A deactivated user cannot log in; their past work stays theirs."""
    user = db.get_or_404(User, user_id)
    people.set_active(user, False, current_user)
    db.session.commit()
    flash(_("User %(name)s deactivated.", name=user.username))
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def user_reactivate(user_id: int):
    """Let a deactivated user log in again."""
    user = db.get_or_404(User, user_id)
    people.set_active(user, True, current_user)
    db.session.commit()
    flash(_("User %(name)s reactivated.", name=user.username))
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.get("/assessments")
@admin_required
def assessment_index():
    """Every assessment, newest first, filtered by station, status, dates and assessor."""
    form = AssessmentFilterForm(request.args).offer_assessors(assessment_list.assessors())
    filters = form.filters()
    page = paginate(assessment_list.search(**filters), request.args.get("page"))
    return render_swap(
        "admin/assessments.html",
        "admin/_assessments.html",
        form=form,
        page=page,
        statuses=STATUS_LABELS,
        args=query_args("station", "status", "assessor", "start", "end"),
    )


@bp.get("/assessments/<int:assessment_id>")
@admin_required
def assessment_detail(assessment_id: int):
    """One assessment with its audit trail as a timeline, and reopening if it is finalized."""
    assessment = db.get_or_404(Assessment, assessment_id)
    return render_assessment(assessment, ReopenForm(formdata=None))


def render_assessment(assessment: Assessment, reopen_form: ReopenForm, status: int = 200):
    entries = timeline.events(assessment, request.args.get("page"))
    return render_swap(
        "admin/assessment.html",
        "admin/_timeline.html",
        assessment=assessment,
        entries=entries,
        reopen_form=reopen_form,
        statuses=STATUS_LABELS,
    ), status


@bp.post("/assessments/<int:assessment_id>/reopen")
@admin_required
def assessment_reopen(assessment_id: int):
    """Unlock a finalized assessment for corrections; the reason goes into the audit trail."""
    assessment = db.get_or_404(Assessment, assessment_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        return render_assessment(assessment, form, 422)
    assessments.reopen(assessment, current_user, form.reason.data)
    db.session.commit()
    flash(_("The assessment was reopened."))
    return redirect(safe_next(url_for("admin.assessment_detail", assessment_id=assessment.id)))


@bp.route("/outbox-import", methods=["GET", "POST"])
@admin_required
def outbox_import():
    """Apply a file an assessor exported from a phone; entries already on the server are skipped."""
    form = OutboxImportForm()
    if not form.validate_on_submit():
        return render_template("admin/outbox_import.html", form=form), form_status()
    try:
        entries, exported_by = outbox_import_service.read_entries(form.file.data.read())
    except ImportFileError as error:
        form.file.errors.append(error.message)
        return render_template("admin/outbox_import.html", form=form), 422
    report = outbox_import_service.import_entries(entries, exported_by, current_user)
    return render_template(
        "admin/outbox_import.html", form=OutboxImportForm(), report=report, exported_by=exported_by
    )


@bp.get("/audit")
@admin_required
def audit_chain():
    """Whether the audit trail's chain holds: no event changed or removed since it was written."""
    return render_template("admin/audit.html", report=audit.verify())
