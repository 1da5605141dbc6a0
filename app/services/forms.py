"""The form versions the authority manages: upload, try, compare, publish, and choose the one in use.

A form is authority-wide, so only the root-level administrators manage it (`can_manage`). An
upload is checked whole before anything is stored; a draft may be uploaded again under its
version, a published version never changes. A draft is tried on a test walk at the preview
station: a test assessment, left out of every list and figure, never finalized, and removed when
the draft is published or discarded. Every change is audited; the caller commits.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    DRAFT,
    IN_PROGRESS,
    PUBLISHED,
    Assessment,
    FormSetting,
    FormVersion,
    Station,
    User,
    utcnow,
)
from app.services import audit, regions, rubrics
from app.services.forms_files import comparison_rows, data_of, read_form
from app.services.refusals import Refused
from rubric import Rubric
from rubric.registry import version_key

PREVIEW_STATION_CODE = "FORM-PREVIEW"
PREVIEW_STATION_NAME = "评估表草稿试用（测试，不计入统计）"
SOURCE_NAME_MAX_LENGTH = 200
CHANGE_LABELS = {
    "form": _l("Form"),
    "category": _l("Category"),
    "added": _l("Added"),
    "removed": _l("Removed"),
    "moved": _l("Moved"),
    "changed": _l("Changed"),
    "renumbered": _l("Renumbered"),
    "split": _l("Split"),
    "merged": _l("Merged"),
}
FIELD_LABELS = {
    "id": _l("Form"),
    "version": _l("Version"),
    "title": _l("Title"),
    "max_points": _l("Maximum"),
    "item": _l("Item"),
    "code": _l("Number"),
    "text": _l("Text"),
    "points": _l("Points"),
    "method": _l("Method"),
    "method_continued": _l("Merged method cell"),
    "outcomes": _l("Outcomes"),
    "derive": _l("Counting rule"),
    "not_applicable": _l("Not applicable"),
    "not_applicable_points": _l("Points when not applicable"),
    "not_applicable_reason_required": _l("Reason needed for not applicable"),
    "depends_on": _l("Depends on"),
}


def can_manage(actor: User | None) -> bool:
    """Forms are authority-wide: only administrators of the root region (and the command line)."""
    return regions.is_root_admin(actor)


def versions() -> list[FormVersion]:
    """Every version, by form and newest version first."""
    rubrics.registry()  # puts the shipped forms in the database on first need
    rows = db.session.scalars(db.select(FormVersion)).all()
    return sorted(rows, key=lambda v: (v.rubric_id, version_key(v.version)), reverse=True)


def setting() -> FormSetting:
    rubrics.registry()  # makes the setting on first need
    return db.session.get(FormSetting, rubrics.SETTING_ID)


def in_use() -> FormVersion | None:
    return setting().in_use


def rubric(version: FormVersion) -> Rubric:
    return rubrics.registry().get(version.rubric_id, version.version)


def summary(version: FormVersion) -> dict:
    """What the audit trail keeps of a version."""
    return {"rubric_id": version.rubric_id, "version": version.version, "status": version.status}


def upload(filename: str, content: bytes, actor: User) -> FormVersion:
    """Store an uploaded form as a draft (or as the new content of its draft); FormFileError when
    the file is not a valid form, Refused when its version is published already."""
    form, kind = read_form(filename, content)
    data = data_of(form)
    rubrics.registry()  # the shipped forms first, so that their versions count as published
    version = db.session.scalar(db.select(FormVersion).filter_by(rubric_id=form.id, version=form.version))
    if version is not None and version.is_published:
        if version.data == data:
            raise Refused(
                409, _l("This file is version %(v)s as published: nothing to store.", v=form.version)
            )
        raise Refused(
            409,
            _l(
                "Version %(v)s is published and never changes: give the new form another version.",
                v=form.version,
            ),
        )
    action = "form.replace" if version is not None else "form.upload"
    if version is None:
        version = FormVersion(rubric_id=form.id, version=form.version, status=DRAFT)
        db.session.add(version)
    else:
        remove_test_assessments(version)
    version.title = form.title
    version.data = data
    version.source = content
    version.source_kind = kind
    version.source_name = filename[-SOURCE_NAME_MAX_LENGTH:]
    version.uploaded_by = actor
    version.uploaded_at = utcnow()
    db.session.flush()
    audit.record(action, user=actor, subject=_subject(version), after=summary(version) | {"file": filename})
    _changed()
    return version


def publish(version: FormVersion, actor: User) -> None:
    """Make a draft a published version, for good; its test walks are removed."""
    _refuse_published(version)
    remove_test_assessments(version)
    version.status = PUBLISHED
    version.published_by = actor
    version.published_at = utcnow()
    audit.record("form.publish", user=actor, subject=_subject(version), after=summary(version))
    _changed()


def choose(version: FormVersion, actor: User) -> None:
    """New assessments use this published version from now on; those started keep theirs."""
    if not version.is_published:
        raise Refused(409, _l("Only a published version can be used for new assessments."))
    current = setting()
    before = summary(current.in_use) if current.in_use else None
    current.in_use = version
    audit.record("form.choose", user=actor, subject=_subject(version), before=before, after=summary(version))
    _changed()


def discard(version: FormVersion, actor: User) -> None:
    """Remove a draft and its test walks."""
    _refuse_published(version)
    remove_test_assessments(version)
    audit.record("form.discard", user=actor, subject=_subject(version), before=summary(version))
    db.session.delete(version)
    _changed()


def _refuse_published(version: FormVersion) -> None:
    if version.is_published:
        raise Refused(409, _l("Version %(v)s is published and never changes.", v=version.version))


def _subject(version: FormVersion) -> str:
    return f"{version.rubric_id} {version.version}"


def _changed() -> None:
    """Renew the stamp, so every process reads the forms again."""
    db.session.flush()
    setting().stamp = rubrics.new_stamp()
    db.session.flush()
    rubrics.forget()


def replaced_by(version: FormVersion) -> FormVersion | None:
    """The version this one would replace: the one in use if it is the same form, else the newest
    published version of the same form before it."""
    current = in_use()
    if current is not None and current.rubric_id == version.rubric_id and current.id != version.id:
        return current
    older = [
        v
        for v in versions()
        if v.rubric_id == version.rubric_id
        and v.is_published
        and version_key(v.version) < version_key(version.version)
    ]
    return older[0] if older else None


@dataclass(frozen=True)
class Comparison:
    old: FormVersion | None
    new: FormVersion
    rows: list[dict]


def row_texts(row: dict) -> tuple[str, str, str, str, str]:
    """A comparison row in the user's words: the kind of change and the field named, values as they are."""
    return (
        str(CHANGE_LABELS.get(row["change"], row["change"])),
        row["item"],
        str(FIELD_LABELS.get(row["field"], row["field"])),
        row["before"],
        row["after"],
    )


def comparison(version: FormVersion) -> Comparison:
    old = replaced_by(version)
    return Comparison(old, version, comparison_rows(rubric(old) if old else None, rubric(version)))


# --- test walks of drafts -----------------------------------------------------------------------


def preview_station() -> Station:
    """The station test walks happen at (made on first need): deactivated, so no real assessment
    starts there, and in the root region, seen only by the root level."""
    station = db.session.scalar(db.select(Station).filter_by(code=PREVIEW_STATION_CODE))
    if station is None:
        station = Station(code=PREVIEW_STATION_CODE, name=PREVIEW_STATION_NAME, active=False)
        db.session.add(station)
        db.session.flush()
    return station


def test_walk(version: FormVersion, actor: User) -> Assessment:
    """The actor's test walk of a draft, started now unless one is in progress."""
    if version.is_published:
        raise Refused(409, _l("Only a draft is tried on a test walk."))
    walk = db.session.scalar(
        db.select(Assessment).filter_by(
            is_test=True,
            status=IN_PROGRESS,
            rubric_id=version.rubric_id,
            rubric_version=version.version,
            lead_assessor_id=actor.id,
        )
    )
    if walk is not None:
        return walk
    walk = Assessment(
        station=preview_station(),
        rubric_id=version.rubric_id,
        rubric_version=version.version,
        lead_assessor=actor,
        team=[actor],
        is_test=True,
    )
    db.session.add(walk)
    db.session.flush()
    audit.record("form.test_walk", user=actor, subject=_subject(version), after={"assessment": walk.id})
    return walk


def test_walks(version: FormVersion) -> list[Assessment]:
    return db.session.scalars(
        db.select(Assessment)
        .filter_by(is_test=True, rubric_id=version.rubric_id, rubric_version=version.version)
        .order_by(Assessment.id)
    ).all()


def remove_test_assessments(version: FormVersion) -> None:
    for walk in test_walks(version):
        db.session.delete(walk)
    db.session.flush()
