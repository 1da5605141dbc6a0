from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import (
    ImportConfirmForm,
    ImportForm,
    OutboxImportForm,
    PasswordResetForm,
    PeriodForm,
    RegionForm,
    StationForm,
    UserCreateForm,
    UserEditForm,
)
from app.extensions import db
from app.models import Assessment, User
from app.services import (
    assessment_list,
    assessments,
    audit,
    charts,
    dashboard,
    deadlines,
    people,
    region_import,
    regions,
    sessions,
    stations,
    timeline,
)
from app.services import outbox_import as outbox_import_service
from app.services.assessments import STATUS_LABELS
from app.services.paging import paginate
from app.services.refusals import ImportFileError, Refused
from app.services.station_import import check, read_rows
from app.web.access import (
    admin_required,
    manageable_region,
    manageable_user,
    viewable_assessment,
    viewable_station,
)
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
    region = dashboard_region()
    within = regions.narrowing(region)
    order = request.args.get("order", "lowest")
    spread = dashboard.spread(period, within)
    totals = dashboard.station_totals(
        period, request.args.get("page"), order, total=spread.stations, within=within
    )
    context = {
        "form": form,
        "period": period,
        "order": order,
        "totals": totals,
        "sparkline": charts.sparkline,
        "region": region,
        "region_path": regions.path_of(region),
    }
    if is_htmx():
        return render_swap("admin/dashboard.html", "admin/_station_totals.html", **context)
    summary = dashboard.summary(period, within)
    top = dashboard.top_deductions(period, summary["assessments_finalized"], within=within)
    stations_within = regions.stations_clause_within(within)
    return render_swap(
        "admin/dashboard.html",
        "admin/_station_totals.html",
        summary=summary,
        spread=spread,
        histogram=charts.columns([(b.label, b.count) for b in spread.buckets]),
        top=top,
        top_chart=charts.rows([(entry.item.code, entry.assessments) for entry in top]),
        overdue=deadlines.overdue_by_station(deadlines.today(), stations_within),
        rollup=dashboard.rollup(period, region),
        **context,
    )


def dashboard_region():
    """The region the dashboard is about: `?region=CODE` within the administrator's own, else theirs."""
    code = request.args.get("region", "").strip()
    if not code:
        return regions.home(current_user) or regions.root()
    region = regions.by_code(code)
    if region is None or not regions.can_see_region(current_user, region):
        abort(404)
    return region


@bp.get("/stations")
@admin_required
def station_list():
    """Stations by code, searchable by code or name."""
    query = request.args.get("q", "").strip()
    page = paginate(stations.search(query, actor=current_user), request.args.get("page"))
    return render_swap(
        "admin/stations.html", "admin/_stations.html", page=page, q=query, region_paths=regions.paths()
    )


@bp.route("/stations/new", methods=["GET", "POST"])
@admin_required
def station_new():
    """Add one station."""
    home = regions.home(current_user)
    form = StationForm(nodes=regions.visible(current_user), region_code=home.code if home else "")
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
    station = viewable_station(station_id)
    form = StationForm(
        obj=station, station=station, nodes=regions.visible(current_user), region_code=station.region.code
    )
    if form.validate_on_submit():
        stations.update(station, form.values(), current_user)
        db.session.commit()
        flash(_("Station %(code)s saved.", code=station.code))
        return redirect(url_for("admin.station_edit", station_id=station.id))
    return render_station(station, form, form_status())


def render_station(station, form, status: int = 200, assign_error: str = ""):
    return render_template(
        "admin/station_form.html",
        form=form,
        station=station,
        assigned=regions.assigned_to(station, current_user),
        assign_error=assign_error,
        region_path=regions.path_of(station.region),
    ), status


@bp.post("/stations/<int:station_id>/assign")
@admin_required
def station_assign(station_id: int):
    """Send an assessor of this administrator's territory to the station (outside their own subtree)."""
    station = viewable_station(station_id)
    username = request.form.get("username", "").strip()
    assessor = db.session.scalar(db.select(User).filter_by(username=username)) if username else None
    try:
        if assessor is None:
            raise Refused(422, _("There is no assessor with this username."), field="username")
        regions.assign(station, assessor, current_user)
    except Refused as refused:
        db.session.rollback()
        form = StationForm(
            formdata=None,
            obj=station,
            station=station,
            nodes=regions.visible(current_user),
            region_code=station.region.code,
        )
        return render_station(station, form, 422, str(refused.message))
    db.session.commit()
    flash(_("%(name)s may now assess %(code)s.", name=assessor.name, code=station.code))
    return redirect(url_for("admin.station_edit", station_id=station.id))


@bp.post("/stations/<int:station_id>/assignments/<int:user_id>/remove")
@admin_required
def station_unassign(station_id: int, user_id: int):
    """Withdraw an assessor's assignment to the station."""
    station = viewable_station(station_id)
    assessor = manageable_user(user_id)
    regions.unassign(station, assessor, current_user)
    db.session.commit()
    flash(_("%(name)s is no longer assigned to %(code)s.", name=assessor.name, code=station.code))
    return redirect(url_for("admin.station_edit", station_id=station.id))


@bp.post("/stations/<int:station_id>/deactivate")
@admin_required
def station_deactivate(station_id: int):
    """No new assessments start at a deactivated station; its history stays."""
    station = viewable_station(station_id)
    stations.set_active(station, False, current_user)
    db.session.commit()
    flash(_("Station %(code)s deactivated.", code=station.code))
    return redirect(url_for("admin.station_edit", station_id=station.id))


@bp.post("/stations/<int:station_id>/reactivate")
@admin_required
def station_reactivate(station_id: int):
    """Make a deactivated station available for assessments again."""
    station = viewable_station(station_id)
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
    report = check(rows, current_user)
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
    page = paginate(people.search(query, role, actor=current_user), request.args.get("page"))
    return render_swap(
        "admin/users.html", "admin/_users.html", page=page, q=query, role=role, roles=people.ROLE_LABELS
    )


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    """Create an assessor, a station's staff member or an administrator, with a first password."""
    form = UserCreateForm(actor=current_user, nodes=regions.visible(current_user))
    if form.validate_on_submit():
        user = people.create(
            form.username.data,
            form.display_name.data,
            form.role.data,
            form.station,
            form.password.data,
            email=form.email.data,
            actor=current_user,
            region=form.region,
        )
        db.session.commit()
        flash(_("User %(name)s created.", name=user.username))
        return redirect(url_for("admin.user_list", q=user.username))
    return render_template(
        "admin/user_new.html", form=form, station_choices=people.station_choices(current_user)
    ), form_status()


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    """Change a user's name, role and station; reset their password; deactivate or reactivate them."""
    user = manageable_user(user_id)
    form = user_edit_form(user)
    if form.validate_on_submit():
        people.update(
            user,
            form.display_name.data,
            form.role.data,
            form.station,
            current_user,
            email=form.email.data,
            region=form.region,
        )
        db.session.commit()
        flash(_("User %(name)s saved.", name=user.username))
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_user(user, form=form, status=form_status())


def user_edit_form(user: User, **kwargs) -> UserEditForm:
    return UserEditForm(
        obj=user,
        station_code=user.station.code if user.station else "",
        region_code=user.region.code if user.region else "",
        actor=current_user,
        nodes=regions.visible(current_user),
        user=user,
        **kwargs,
    )


def render_user(user: User, form=None, password_form=None, status: int = 200):
    form = form or user_edit_form(user)
    password_form = password_form or PasswordResetForm(formdata=None)
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        password_form=password_form,
        roles=people.ROLE_LABELS,
        session_count=sessions.count(user),
        station_choices=people.station_choices(current_user),
        region_path=regions.path_of(regions.home(user)),
    ), status


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id: int):
    """Set a new password for a user who lost theirs."""
    user = manageable_user(user_id)
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
    user = manageable_user(user_id)
    ended = people.end_sessions(user, current_user)
    db.session.commit()
    flash(_("%(name)s was logged out on %(n)d devices.", name=user.username, n=ended))
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def user_deactivate(user_id: int):
    """A deactivated user cannot log in; their past work stays theirs."""
    user = manageable_user(user_id)
    people.set_active(user, False, current_user)
    db.session.commit()
    flash(_("User %(name)s deactivated.", name=user.username))
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def user_reactivate(user_id: int):
    """Let a deactivated user log in again."""
    user = manageable_user(user_id)
    people.set_active(user, True, current_user)
    db.session.commit()
    flash(_("User %(name)s reactivated.", name=user.username))
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.get("/assessments")
@admin_required
def assessment_index():
    """The assessments of this administrator's territory, newest first, filtered by region,
    station, status, dates and assessor."""
    form = (
        AssessmentFilterForm(request.args)
        .offer_assessors(assessment_list.assessors(current_user))
        .offer_regions(regions.visible(current_user))
    )
    filters = form.filters()
    page = paginate(assessment_list.search(actor=current_user, **filters), request.args.get("page"))
    return render_swap(
        "admin/assessments.html",
        "admin/_assessments.html",
        form=form,
        page=page,
        statuses=STATUS_LABELS,
        args=query_args("region", "station", "status", "assessor", "start", "end"),
    )


@bp.get("/assessments/<int:assessment_id>")
@admin_required
def assessment_detail(assessment_id: int):
    """One assessment with its audit trail as a timeline, and reopening if it is finalized."""
    assessment = viewable_assessment(assessment_id)
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
    assessment = viewable_assessment(assessment_id)
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


@bp.get("/regions")
@admin_required
def region_list():
    """The administrator's region and every region below it, as a tree."""
    return render_template(
        "admin/regions.html",
        nodes=regions.visible(current_user),
        manageable=lambda region: regions.can_manage_region(current_user, region),
    )


@bp.route("/regions/new", methods=["GET", "POST"])
@admin_required
def region_new():
    """Add a region below the administrator's own region or one below it."""
    home = regions.home(current_user) or regions.root()
    form = RegionForm(nodes=regions.visible(current_user), parent_code=request.args.get("parent", home.code))
    if form.validate_on_submit():
        parent = regions.by_code(form.parent_code.data) or home
        region = regions.create(form.code.data, form.name.data, parent, current_user)
        db.session.commit()
        flash(_("Region %(code)s created.", code=region.code))
        return redirect(url_for("admin.region_list"))
    return render_template("admin/region_form.html", form=form, region=None), form_status()


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
@admin_required
def region_edit(region_id: int):
    """Rename a region below the administrator's own, or move it under another they see."""
    region = manageable_region(region_id)
    nodes = [node for node in regions.visible(current_user) if node.region.id != region.id]
    form = RegionForm(
        obj=region, region=region, nodes=nodes, parent_code=region.parent.code if region.parent else ""
    )
    if form.validate_on_submit():
        try:
            regions.update(
                region, form.code.data, form.name.data, regions.by_code(form.parent_code.data), current_user
            )
        except Refused as refused:
            db.session.rollback()
            form.parent_code.errors.append(refused.message)
            return render_template("admin/region_form.html", form=form, region=region), 422
        db.session.commit()
        flash(_("Region %(code)s saved.", code=region.code))
        return redirect(url_for("admin.region_list"))
    return render_template("admin/region_form.html", form=form, region=region), form_status()


@bp.route("/regions/import", methods=["GET", "POST"])
@admin_required
def region_import_page():
    """Upload a CSV or XLSX file of regions and see which rows would be imported and which not."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("admin/region_import.html", form=form), form_status()
    upload = form.file.data
    try:
        rows = region_import.read_rows(upload.filename, upload.read())
    except ImportFileError as error:
        form.file.errors.append(error.message)
        return render_template("admin/region_import.html", form=form), 422
    report = region_import.check(rows, current_user)
    confirm = ImportConfirmForm(rows=region_import.sign_good_rows(report, upload.filename))
    return render_template(
        "admin/region_import.html", form=form, report=report, confirm=confirm, filename=upload.filename
    )


@bp.post("/regions/import/confirm")
@admin_required
def region_import_confirm():
    """Import the previewed regions in one transaction, or none if one has become bad meanwhile."""
    filename, rows = region_import.unsign_rows(ImportConfirmForm().rows.data)
    report = region_import.import_rows(rows, filename, current_user)
    if report.rejected or not report.good:
        db.session.rollback()
        return render_template(
            "admin/region_import.html", form=ImportForm(), report=report, filename=filename, stale=True
        ), 409
    db.session.commit()
    flash(_("%(n)d regions imported from %(file)s.", n=len(report.good), file=filename))
    return redirect(url_for("admin.region_list"))
