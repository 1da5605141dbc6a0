"""Apply a file of outbox entries exported from a phone, each exactly once.

An assessor whose phone cannot reach the server exports what waits; an administrator imports it.
Each entry keeps its mutation_id, so an entry that already reached the server, or a file
imported twice, changes nothing.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.errors import ImportFileError, Refused
from app.extensions import db
from app.idempotency import apply_once, fingerprint, parse_mutation_id
from app.models import Assessment, Mutation, Photo, User
from app.services import assessments, audit
from app.services import photos as photo_actions
from app.services.json_shapes import photo_json

EXPORT_FORMAT = "assessment-outbox"
MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass
class EntryResult:
    entry: dict
    status: str
    message: str = ""


@dataclass
class ImportReport:
    results: list[EntryResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)


def read_entries(data: bytes) -> tuple[list[dict], str]:
    """The entries of an export file, oldest first, and who exported it."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is too large."))
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ImportFileError(_("This is not an export file from the app (it is not JSON).")) from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ImportFileError(_("This is not an export file from the app."))
    entries = document.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ImportFileError(_("The file lists no entries."))
    return sorted(entries, key=lambda e: e.get("seq") or 0), str(document.get("exported_by") or "")


def import_entries(entries: list[dict], exported_by: str, admin: User) -> ImportReport:
    author = _author(exported_by, admin)
    report = ImportReport()
    for entry in entries:
        report.results.append(_import_one(entry, author))
    audit.record(
        "outbox.import",
        subject=exported_by,
        after={status: report.count(status) for status in ("applied", "already", "refused")},
        user=admin,
    )
    db.session.commit()
    return report


def _author(username: str, admin: User) -> User:
    """Changes are attributed to the assessor who made them, when the file names one."""
    user = db.session.scalar(db.select(User).filter_by(username=username)) if username else None
    return user if user is not None and user.can_assess else admin


def _import_one(entry: dict, author: User) -> EntryResult:
    try:
        mutation_id = parse_mutation_id(entry.get("mutation_id"))
        if mutation_id is None:
            raise Refused(422, _("The entry has no mutation_id."))
        if db.session.get(Mutation, mutation_id) is not None:
            return EntryResult(entry, "already")
        assessment_id = _int(entry.get("assessment_id"))
        assessment = db.session.get(Assessment, assessment_id) if assessment_id else None
        if assessment is None:
            raise Refused(404, _("There is no such assessment."))
        apply_entry = APPLY.get(entry.get("kind"), _finding)
        apply_entry(entry, assessment, mutation_id, author)
        return EntryResult(entry, "applied")
    except Refused as refused:
        db.session.rollback()
        return EntryResult(entry, "refused", str(refused.message))


def _int(value) -> int | None:
    """Assessment ids come as numbers or, from page data attributes, as digit strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _finding(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = entry.get("payload") if isinstance(entry.get("payload"), dict) else {}
    item_id = str(entry.get("item_id", ""))
    note = payload.get("note") if isinstance(payload.get("note"), str) else ""

    assessments.record_finding_once(
        assessment,
        item_id,
        mutation_id=mutation_id,
        user=author,
        outcome=payload.get("outcome"),
        inputs=payload.get("inputs") if isinstance(payload.get("inputs"), dict) else None,
        note=note,
    )


def _photo(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = entry.get("payload") if isinstance(entry.get("payload"), dict) else {}
    item_id = str(entry.get("item_id", ""))
    data = _data_url_bytes(entry.get("blob"))
    fields = {
        "caption": payload.get("caption") or "",
        "taken_at": payload.get("taken_at") or None,
        "marked_up_from": _int(payload.get("marked_up_from")),
    }
    path = f"/api/assessments/{assessment.id}/findings/{item_id}/photos"
    upload_print = fingerprint(path, {**fields, "sha256": hashlib.sha256(data).hexdigest()})

    def apply():
        attached = photo_actions.attach_photo(
            assessment,
            item_id,
            data,
            user=author,
            caption=fields["caption"],
            taken_at=fields["taken_at"],
            marked_up_from_id=fields["marked_up_from"],
        )
        return photo_json(attached.photo), 201

    apply_once(mutation_id, author, upload_print, apply)


def _caption(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = entry.get("payload") if isinstance(entry.get("payload"), dict) else {}
    photo_id = _int(payload.get("photo_id"))
    photo = db.session.get(Photo, photo_id) if photo_id else None
    if photo is None or photo.finding.assessment_id != assessment.id:
        raise Refused(404, _("There is no such photo."))
    caption = payload.get("caption") if isinstance(payload.get("caption"), str) else ""

    def apply():
        photo_actions.set_caption(photo, caption, author)
        return photo_json(photo), 200

    apply_once(mutation_id, author, fingerprint(f"/api/photos/{photo.id}", {"caption": caption}), apply)


def _no_photo_reason(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = entry.get("payload") if isinstance(entry.get("payload"), dict) else {}
    item_id = str(entry.get("item_id", ""))
    reason = payload.get("no_photo_reason") if isinstance(payload.get("no_photo_reason"), str) else ""
    path = f"/photos/assessments/{assessment.id}/items/{item_id}/no-photo-reason"

    def apply():
        finding = assessments.set_no_photo_reason(assessment, item_id, reason, author)
        return {"item_id": item_id, "no_photo_reason": finding.no_photo_reason}, 200

    apply_once(mutation_id, author, fingerprint(path, {"no_photo_reason": reason}), apply)


APPLY = {"photo": _photo, "caption": _caption, "no_photo_reason": _no_photo_reason}


def _data_url_bytes(value) -> bytes:
    if not isinstance(value, str) or ";base64," not in value:
        raise Refused(422, _("The photo is missing from the entry."))
    try:
        return base64.b64decode(value.split(";base64,", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise Refused(422, _("The photo in the entry is damaged.")) from None
