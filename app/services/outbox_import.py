"""Apply a file of outbox entries exported from a phone, each exactly once.

An assessor whose phone cannot reach the server exports what waits; an administrator imports it.
Each entry keeps its mutation_id, so an entry that already reached the server, or a file
imported twice, changes nothing. An entry is credited to an assessor only when it carries the
token the server signed for them (`author_token`); otherwise to the importing administrator.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from app.errors import ImportFileError, Refused
from app.extensions import db
from app.idempotency import apply_once, fingerprint, parse_mutation_id
from app.models import Assessment, Mutation, Photo, User, is_row_id
from app.services import assessments, audit, authorship, signoff
from app.services import photos as photo_actions
from app.services.json_shapes import photo_json

EXPORT_FORMAT = "assessment-outbox"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ENTRIES_PER_FILE = 5000
# One import applies at most this many new entries, so a request stays short; importing the
# same file again goes on where it stopped, since entries already applied are skipped.
MAX_APPLIED_PER_IMPORT = 200
STATUSES = ("applied", "already", "refused", "later")


@dataclass
class EntryResult:
    entry: dict
    status: str
    message: str = ""
    credited_to: User | None = None
    proven: bool = False


@dataclass
class ImportReport:
    results: list[EntryResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def credited_to_importer(self) -> int:
        return sum(1 for result in self.results if result.status == "applied" and not result.proven)


def read_entries(data: bytes) -> tuple[list[dict], str]:
    """The entries of an export file, oldest first, and the name the file gives for who exported it."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is too large."))
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ImportFileError(_("This is not an export file from the app (it is not JSON).")) from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ImportFileError(_("This is not an export file from the app."))
    entries = document.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ImportFileError(_("The file lists no entries."))
    if len(entries) > MAX_ENTRIES_PER_FILE:
        raise ImportFileError(
            _(
                "The file has %(n)d entries; at most %(max)d can be imported.",
                n=len(entries),
                max=MAX_ENTRIES_PER_FILE,
            )
        )
    exported_by = document.get("exported_by")
    return sorted(entries, key=_order), exported_by if isinstance(exported_by, str) else ""


def _order(entry: dict) -> tuple[int, float]:
    """By `seq` when it is a number; entries without one keep their place after those with one."""
    seq = entry.get("seq")
    if isinstance(seq, int | float) and not isinstance(seq, bool) and seq == seq:
        return 0, seq
    return 1, 0


def import_entries(entries: list[dict], exported_by: str, admin: User) -> ImportReport:
    """Apply each entry on its own: one refused entry never stops the others."""
    report = ImportReport()
    applied = 0
    for entry in entries:
        if applied >= MAX_APPLIED_PER_IMPORT:
            report.results.append(EntryResult(entry, "later", _later_message()))
            continue
        outcome = _import_one(entry, admin)
        applied += outcome.status == "applied"
        report.results.append(outcome)
    counts = {status: report.count(status) for status in STATUSES}
    audit.record(
        "outbox.import",
        subject=exported_by[:100],
        after={**counts, "credited_to_importer": report.credited_to_importer},
        reason=_importer_reason(report, admin),
        user=admin,
    )
    db.session.commit()
    return report


def _later_message() -> str:
    return _(
        "Not imported yet: at most %(n)d entries are applied per import. Import the same file again "
        "to go on.",
        n=MAX_APPLIED_PER_IMPORT,
    )


def _importer_reason(report: ImportReport, admin: User) -> str:
    if not report.credited_to_importer:
        return ""
    return (
        f"{report.credited_to_importer} entries carried no proof of their author "
        f"and are credited to the importing administrator {admin.username}"
    )


def author_of(entry: dict, admin: User) -> tuple[User, bool]:
    """The assessor the entry's signed token names while their account is active; else the importing admin."""
    user_id = authorship.user_id_from(entry.get("author_token"))
    user = db.session.get(User, user_id) if user_id else None
    if user is not None and user.active and user.can_assess:
        return user, True
    return admin, False


def _import_one(entry: dict, admin: User) -> EntryResult:
    author, proven = author_of(entry, admin)
    try:
        _apply(entry, author)
    except AlreadyApplied:
        return EntryResult(entry, "already")
    except Refused as refused:
        db.session.rollback()
        return EntryResult(entry, "refused", str(refused.message))
    except Exception:
        db.session.rollback()
        current_app.logger.exception("outbox entry could not be applied")
        return EntryResult(entry, "refused", _("This entry could not be applied; nothing of it was saved."))
    return EntryResult(entry, "applied", credited_to=author, proven=proven)


class AlreadyApplied(Exception):
    pass


def _apply(entry: dict, author: User) -> None:
    mutation_id = parse_mutation_id(_text(entry, "mutation_id") or None)
    if mutation_id is None:
        raise Refused(422, _("The entry has no mutation_id."))
    if db.session.get(Mutation, mutation_id) is not None:
        raise AlreadyApplied
    assessment_id = _int(entry.get("assessment_id"))
    assessment = db.session.get(Assessment, assessment_id) if assessment_id else None
    if assessment is None:
        raise Refused(404, _("There is no such assessment."))
    apply_entry = APPLY.get(entry.get("kind"), _finding)
    apply_entry(entry, assessment, mutation_id, author)


def _int(value) -> int | None:
    """Assessment ids come as numbers or, from page data attributes, as digit strings."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 10:
        value = int(value)
    return value if is_row_id(value) else None


def _text(mapping: dict, name: str) -> str:
    """A text field of an entry or its payload; anything but text (or nothing) is refused."""
    value = mapping.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(422, _("The field %(name)s has the wrong type.", name=name))
    return value


def _payload(entry: dict) -> dict:
    payload = entry.get("payload")
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise Refused(422, _("The field %(name)s has the wrong type.", name="payload"))
    return payload


def _finding(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = _payload(entry)
    inputs = payload.get("inputs")
    if inputs is not None and not isinstance(inputs, dict):
        raise Refused(422, _("The field %(name)s has the wrong type.", name="inputs"))
    assessments.record_finding_once(
        assessment,
        _text(entry, "item_id"),
        mutation_id=mutation_id,
        user=author,
        outcome=_text(payload, "outcome") or None,
        inputs=inputs,
        note=_text(payload, "note"),
    )


def _photo(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = _payload(entry)
    item_id = _text(entry, "item_id")
    data = _data_url_bytes(entry.get("blob"))
    fields = {
        "caption": _text(payload, "caption"),
        "taken_at": _text(payload, "taken_at") or None,
        "marked_up_from": _int(payload.get("marked_up_from")),
    }
    path = f"/api/assessments/{assessment.id}/findings/{item_id}/photos"
    upload_print = fingerprint(path, {**fields, "sha256": hashlib.sha256(data).hexdigest()})
    stored = photo_actions.store(data)

    def apply():
        attached = photo_actions.attach_stored(
            assessment,
            item_id,
            stored,
            user=author,
            caption=fields["caption"],
            taken_at=fields["taken_at"],
            marked_up_from_id=fields["marked_up_from"],
        )
        return photo_json(attached.photo), 201

    apply_once(mutation_id, author, upload_print, apply, lock=assessment)


def _caption(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = _payload(entry)
    photo_id = _int(payload.get("photo_id"))
    photo = db.session.get(Photo, photo_id) if photo_id else None
    if photo is None or photo.finding.assessment_id != assessment.id:
        raise Refused(404, _("There is no such photo."))
    caption = _text(payload, "caption")

    def apply():
        photo_actions.set_caption(photo, caption, author)
        return photo_json(photo), 200

    apply_once(
        mutation_id,
        author,
        fingerprint(f"/api/photos/{photo.id}", {"caption": caption}),
        apply,
        lock=assessment,
    )


def _no_photo_reason(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = _payload(entry)
    item_id = _text(entry, "item_id")
    reason = _text(payload, "no_photo_reason")
    path = f"/photos/assessments/{assessment.id}/items/{item_id}/no-photo-reason"

    def apply():
        finding = assessments.set_no_photo_reason(assessment, item_id, reason, author)
        return {"item_id": item_id, "no_photo_reason": finding.no_photo_reason}, 200

    apply_once(mutation_id, author, fingerprint(path, {"no_photo_reason": reason}), apply, lock=assessment)


def _signature(entry: dict, assessment: Assessment, mutation_id: str, author: User) -> None:
    payload = _payload(entry)
    role = _text(payload, "role")
    signature = signoff.one_from_json(role, payload, author)
    path = f"/api/assessments/{assessment.id}/signatures/{role}"
    apply_once(
        mutation_id,
        author,
        fingerprint(path, payload),
        lambda: (signoff.keep(assessment, role, signature, author), 200),
        lock=assessment,
    )


APPLY = {"photo": _photo, "caption": _caption, "no_photo_reason": _no_photo_reason, "signature": _signature}


def _data_url_bytes(value) -> bytes:
    if not isinstance(value, str) or ";base64," not in value:
        raise Refused(422, _("The photo is missing from the entry."))
    try:
        return base64.b64decode(value.split(";base64,", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise Refused(422, _("The photo in the entry is damaged.")) from None
