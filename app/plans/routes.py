"""Inspection plans: administrators make, draw and publish them; inspectors declare conflicts and
start their visits; anyone reads a published plan's results."""

import csv
import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.models import CONFLICT_KINDS
from app.plans import bp
from app.services import deadlines, plans, regions, rubrics
from app.services.refusals import Refused
from app.web.access import admin_required, assessor_required

# Withdrawn results must disappear at once: a cache asks again every time.
PUBLIC = {"Cache-Control": "no-cache", "X-Robots-Tag": "noindex"}
PUBLIC_COLUMNS = ("station_id", "station_code", "station_name", "date", "total", "rectification")


def managed(plan_id: int):
    """A plan of the administrator's region subtree; any other is answered 404, as one that does not exist."""
    return plans.manageable_plan(plan_id, current_user)


@bp.get("/")
@admin_required
def plan_list():
    """The plans of the administrator's region and the regions below it."""
    return render_template("plans/list.html", plans=plans.visible_plans(current_user))


def plan_input() -> plans.PlanInput:
    form = request.form
    fields = {name: form.get(name, "") for name in plans.PlanInput.__dataclass_fields__}
    fields["complaints_only"] = form.get("complaints_only") == "1"
    fields["inspectors"] = tuple(form.getlist("inspectors"))
    return plans.PlanInput(**fields)


def render_plan_form(values: plans.PlanInput, errors: dict, status: int = 200):
    home = regions.home(current_user) or regions.root()
    region = regions.by_code(values.region_code) or home
    if not regions.can_see_region(current_user, region):
        region = home
    return render_template(
        "plans/new.html",
        values=values,
        fields=vars(values),
        errors=errors,
        nodes=regions.visible(current_user),
        versions=rubrics.choosable_versions(),
        version_key=plans.form_version_key,
        candidates=plans.pool_candidates(region),
        region=region,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def plan_new():
    """A new plan: name, period, form version, scope, how many to draw, team size, pool, window."""
    if request.method == "GET":
        home = regions.home(current_user) or regions.root()
        return render_plan_form(plans.PlanInput(region_code=request.args.get("region", home.code)), {})
    values = plan_input()
    try:
        plan = plans.create_plan(values, current_user)
    except Refused as refused:
        db.session.rollback()
        return render_plan_form(values, {refused.details.get("field", "name"): refused.message}, 422)
    db.session.commit()
    flash(_("Plan %(name)s created.", name=plan.name))
    return redirect(url_for("plans.plan_page", plan_id=plan.id))


def render_plan(plan, errors: dict | None = None, status: int = 200, **values):
    record = plan.current_draw
    today = deadlines.today()
    return render_template(
        "plans/plan.html",
        plan=plan,
        record=record,
        in_scope=plans.scope(plan),
        statuses={v.id: plans.visit_status(v, today) for v in record.visits} if record else {},
        status_labels=plans.VISIT_STATUS_LABELS,
        conflict_labels=plans.CONFLICT_LABELS,
        inputs_text=plans.inputs_text,
        team_names=plans.team_names,
        errors=errors or {},
        values=values,
    ), status


@bp.get("/<int:plan_id>")
@admin_required
def plan_page(plan_id: int):
    """The plan, its draws with seeds and inputs, and each visit's state."""
    return render_plan(managed(plan_id))


@bp.post("/<int:plan_id>/draw")
@admin_required
def plan_draw(plan_id: int):
    """Draw (or, with a reason, draw again) from the public value; the teams hear by e-mail."""
    plan = managed(plan_id)
    public_value, reason = request.form.get("public_value", ""), request.form.get("reason", "")
    try:
        record = plans.perform_draw(plan, public_value, reason, current_user)
    except Refused as refused:
        db.session.rollback()
        plan = managed(plan_id)
        error = {refused.details.get("field", "public_value"): refused.message}
        return render_plan(plan, error, refused.status, public_value=public_value, reason=reason)
    db.session.commit()
    plans.notify_teams(record)
    flash(_("Draw %(n)s made: %(count)s stations.", n=record.number, count=len(record.visits)))
    return redirect(url_for("plans.plan_page", plan_id=plan.id))


@bp.post("/<int:plan_id>/publish")
@admin_required
def plan_publish(plan_id: int):
    """Make the plan's results public (一公开)."""
    plan = managed(plan_id)
    plans.publish(plan, current_user)
    db.session.commit()
    flash(_("The results are public."))
    return redirect(url_for("plans.plan_page", plan_id=plan.id))


@bp.post("/<int:plan_id>/withdraw")
@admin_required
def plan_withdraw(plan_id: int):
    """Take the plan's public results down."""
    plan = managed(plan_id)
    plans.withdraw(plan, current_user)
    db.session.commit()
    flash(_("The results are no longer public."))
    return redirect(url_for("plans.plan_page", plan_id=plan.id))


@bp.route("/flags", methods=["GET", "POST"])
@admin_required
def flags():
    """Stations flagged for complaints, which a plan may take as its scope."""
    errors, status = {}, 200
    if request.method == "POST":
        try:
            flagged = plans.flag(
                request.form.get("station_code", ""), request.form.get("reason", ""), current_user
            )
        except Refused as refused:
            db.session.rollback()
            errors, status = {refused.details.get("field", "station_code"): refused.message}, 422
        else:
            db.session.commit()
            flash(_("Station %(code)s flagged for complaints.", code=flagged.station.code))
            return redirect(url_for("plans.flags"))
    return render_template(
        "plans/flags.html", flagged=plans.flagged_stations(current_user), errors=errors, values=request.form
    ), status


@bp.post("/flags/<int:station_id>/remove")
@admin_required
def unflag(station_id: int):
    plans.unflag(station_id, current_user)
    db.session.commit()
    flash(_("Flag removed."))
    return redirect(url_for("plans.flags"))


@bp.route("/conflicts", methods=["GET", "POST"])
@assessor_required
def conflicts():
    """An inspector's declared ties with stations (回避), which keep them from those visits."""
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form
        try:
            plans.declare(
                current_user,
                form.get("station_code", ""),
                form.get("kind", ""),
                form.get("ended_on", ""),
                form.get("note", ""),
            )
        except Refused as refused:
            db.session.rollback()
            errors, status = {refused.details.get("field", "station_code"): refused.message}, 422
        else:
            db.session.commit()
            flash(_("Conflict declared."))
            return redirect(url_for("plans.conflicts"))
    return render_template(
        "plans/conflicts.html",
        declared=plans.declared_by(current_user),
        kinds=CONFLICT_KINDS,
        labels=plans.CONFLICT_LABELS,
        errors=errors,
        values=request.form,
    ), status


@bp.post("/visits/<int:visit_id>/start")
@assessor_required
def start_visit(visit_id: int):
    """Start the drawn visit: the assessment takes the plan's form version and the drawn team."""
    visit = plans.visit_for(visit_id, current_user)
    assessment = plans.start_visit(visit, current_user)
    db.session.commit()
    return redirect(url_for("assess.resume", assessment_id=assessment.id))


def published(plan_id: int) -> dict:
    return plans.public_results(plans.published_plan(plan_id))


@bp.get("/public/<int:plan_id>")
def public_page(plan_id: int):
    """A published plan's results, for anyone, without login or JavaScript."""
    results = published(plan_id)
    return render_template(
        "plans/public.html",
        results=results,
        inputs_text=plans.inputs_text,
        rectification_labels=plans.RECTIFICATION_LABELS,
    ), PUBLIC


@bp.get("/public/<int:plan_id>.json")
def public_json(plan_id: int):
    return published(plan_id), PUBLIC


@bp.get("/public/<int:plan_id>.csv")
def public_csv(plan_id: int):
    results = published(plan_id)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(PUBLIC_COLUMNS)
    for row in results["stations"]:
        writer.writerow(["" if row[name] is None else row[name] for name in PUBLIC_COLUMNS])
    headers = {**PUBLIC, "Content-Disposition": f'attachment; filename="plan-{plan_id}.csv"'}
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)
