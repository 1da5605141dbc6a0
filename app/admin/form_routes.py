"""Form versions: upload, try on a test walk, compare, publish, and choose the one in use."""

import csv
import io
from functools import wraps

from flask import abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import FormUploadForm
from app.extensions import db
from app.models import FormVersion
from app.services import forms
from app.services.forms_files import XLSX, XLSX_TYPE, FormFileError, xlsx_of
from app.services.refusals import Refused, error_json
from app.services.reports.export import csv_text
from app.web.access import admin_required


def forms_admin_required(view):
    """A form is authority-wide: only administrators of the root region manage it (403 for others)."""

    @wraps(view)
    @admin_required
    def wrapped(*args, **kwargs):
        if not forms.can_manage(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def form_version(version_id: int) -> FormVersion:
    return db.session.get(FormVersion, version_id) or abort(404)


@bp.get("/forms")
@forms_admin_required
def form_list():
    """Every form version, the one new assessments use, and the upload."""
    return render_forms(FormUploadForm(formdata=None))


def render_forms(form: FormUploadForm, problems=(), status: int = 200):
    return render_template(
        "admin/forms.html", versions=forms.versions(), in_use=forms.in_use(), form=form, problems=problems
    ), status


@bp.post("/forms")
@forms_admin_required
def form_upload():
    """Check an uploaded TOML or XLSX form whole; store it as a draft only if it has no problem."""
    form = FormUploadForm()
    if not form.validate_on_submit():
        return render_forms(form, status=422)
    upload = form.file.data
    try:
        version = forms.upload(upload.filename or "", upload.read(), current_user)
    except FormFileError as error:
        db.session.rollback()
        return render_forms(form, error.problems, 422)
    except Refused as refused:
        db.session.rollback()
        form.file.errors.append(refused.message)
        return render_forms(form, status=refused.status)
    db.session.commit()
    flash(_("Draft %(v)s stored. Try it on a test walk, compare it, then publish it.", v=version.version))
    return redirect(url_for("admin.form_detail", version_id=version.id))


@bp.post("/forms.json")
@forms_admin_required
def form_upload_json():
    """The upload for scripts: the file as multipart `file`; problems come back with their places."""
    upload = FormUploadForm().file.data
    if upload is None or not hasattr(upload, "read"):
        return jsonify(error_json(_("Choose a file to upload."), field="file")), 422
    try:
        version = forms.upload(upload.filename or "", upload.read(), current_user)
    except FormFileError as error:
        db.session.rollback()
        problems = [{"location": p.location, "message": p.message} for p in error.problems]
        return jsonify(error_json(_("The form has problems; nothing was stored."), problems=problems)), 422
    except Refused as refused:
        db.session.rollback()
        return jsonify(error_json(refused.message)), refused.status
    db.session.commit()
    return jsonify(version_json(version)), 201


def version_json(version: FormVersion) -> dict:
    return forms.summary(version) | {"id": version.id, "title": version.title}


@bp.get("/forms/<int:version_id>")
@forms_admin_required
def form_detail(version_id: int):
    """One version: what changes against the version it replaces, its test walks, and its actions."""
    return render_version(form_version(version_id))


def render_version(version: FormVersion, refusal: Refused | None = None):
    comparison = forms.comparison(version)
    return render_template(
        "admin/form.html",
        version=version,
        comparison=comparison,
        changes=[forms.row_texts(row) for row in comparison.rows],
        walks=forms.test_walks(version),
        in_use=forms.in_use(),
        refusal=refusal,
    ), refusal.status if refusal else 200


def attempt(action, version: FormVersion):
    """Run a service action on a version and commit; a refusal answers the version's page with it."""
    try:
        result = action(version, current_user)
    except Refused as refused:
        db.session.rollback()
        return None, render_version(version, refused)
    db.session.commit()
    return result, None


@bp.get("/forms/<int:version_id>/form.xlsx")
@forms_admin_required
def form_xlsx(version_id: int):
    """The version as a workbook; uploaded again, it gives the same form."""
    version = form_version(version_id)
    return download(xlsx_of(forms.rubric(version)), XLSX_TYPE, f"{version.rubric_id}-{version.version}.xlsx")


@bp.get("/forms/<int:version_id>/source")
@forms_admin_required
def form_source(version_id: int):
    """The file the version was uploaded (or shipped) as."""
    version = form_version(version_id)
    mimetype = XLSX_TYPE if version.source_kind == XLSX else "application/toml"
    return download(version.source, mimetype, f"{version.rubric_id}-{version.version}.{version.source_kind}")


@bp.get("/forms/<int:version_id>/comparison.csv")
@forms_admin_required
def form_comparison_csv(version_id: int):
    """The comparison with the replaced version, one change a row; UTF-8 with a BOM for Excel."""
    comparison = forms.comparison(form_version(version_id))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Change"), _("Item"), _("What"), _("Before"), _("After")])
    for row in comparison.rows:
        writer.writerow([csv_text(text) for text in forms.row_texts(row)])
    name = f"{comparison.new.rubric_id}-{comparison.new.version}-changes.csv"
    return download(out.getvalue().encode("utf-8-sig"), "text/csv", name)


def download(content: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/forms/<int:version_id>/test-walk")
@forms_admin_required
def form_test_walk(version_id: int):
    """Start (or continue) this administrator's test walk of a draft."""
    walk, refusal = attempt(forms.test_walk, form_version(version_id))
    return refusal or redirect(url_for("assess.resume", assessment_id=walk.id))


@bp.post("/forms/<int:version_id>/publish")
@forms_admin_required
def form_publish(version_id: int):
    """Publish a draft for good; its test walks are removed."""
    version = form_version(version_id)
    refusal = attempt(forms.publish, version)[1]
    if refusal:
        return refusal
    flash(_("Version %(v)s is published.", v=version.version))
    return redirect(url_for("admin.form_detail", version_id=version.id))


@bp.post("/forms/<int:version_id>/use")
@forms_admin_required
def form_use(version_id: int):
    """New assessments use this published version; assessments started keep theirs."""
    version = form_version(version_id)
    refusal = attempt(forms.choose, version)[1]
    if refusal:
        return refusal
    flash(_("New assessments use version %(v)s from now on.", v=version.version))
    return redirect(url_for("admin.form_list"))


@bp.post("/forms/<int:version_id>/discard")
@forms_admin_required
def form_discard(version_id: int):
    """Remove a draft and its test walks."""
    version = form_version(version_id)
    label = version.version
    refusal = attempt(forms.discard, version)[1]
    if refusal:
        return refusal
    flash(_("Draft %(v)s discarded.", v=label))
    return redirect(url_for("admin.form_list"))
