"""Apply a file of outbox entries exported from a phone, each exactly once.

An assessor whose phone cannot reach the server exports what waits; an administrator imports it.
Each entry keeps its mutation_id, so an entry that already reached the server, or a file
imported twice, changes nothing. An entry is credited to an assessor only when it carries the
token the server signed for them (`author_token`); otherwise to the importing administrator.
Each kind of entry goes through the service its request from the phone goes through, so both
agree on what is one change.
"""

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import RECTIFICATION, Assessment, Mutation, Photo, User, is_row_id
from app.services import assessments, audit, authorship, notices, rectifications, regions, signoff
from app.services import photos as photo_actions
from app.services.idempotency import Change, apply_once, parse_mutation_id
from app.services.refusals import (
    UNSTORABLE_MESSAGE,
    ImportFileError,
    Refused,
    holds_unstorable_text,
    typed_field,
)

EXPORT_FORMAT = "assessment-outbox"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ENTRIES_PER_FILE = 5000
# One import does at most this much, so a request stays short; importing the same file again goes
# on where it stopped, since entries already applied are skipped.
MAX_APPLIED_PER_IMPORT = 200
MAX_PHOTOS_PER_IMPORT = 30
RESULTS = ("applied", "already", "refused", "later")
RESULT_LABELS = {
    "applied": _l("applied"),
    "already": _l("already there"),
    "refused": _l("refused"),
    "later": _l("next import"),
}


@dataclass
class EntryResult:
    entry: dict
    status: str
    message: str = ""
    credited_to: User | None = None
    proven: bool = False

    @property
    def label(self) -> str:
        return RESULT_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        name = self.entry.get("kind") or "finding"
        kind = KINDS.get(name) if isinstance(name, str) else None
        return str(kind.label) if kind else ""


@dataclass
class ImportReport:
    results: list[EntryResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def credited_to_importer(self) -> int:
        return sum(1 for result in self.results if result.status == "applied" and not result.proven)


@dataclass
class Budget:
    """What one import may still do. Once a limit is reached, the rest of the file (in its order)
    waits for the next import, and `spent` says why."""

    applied: int = 0
    photos: int = 0
    spent: str = ""

    def count_applied(self) -> None:
        self.applied += 1
        if self.applied >= MAX_APPLIED_PER_IMPORT:
            self.spent = _(
                "Not imported yet: at most %(n)d entries are applied per import. Import the same file "
                "again to go on.",
                n=MAX_APPLIED_PER_IMPORT,
            )

    def take_photo(self) -> None:
        """One photo through the image pipeline, the slow part of an import."""
        if self.photos >= MAX_PHOTOS_PER_IMPORT:
            self.spent = _(
                "Not imported yet: at most %(n)d photos are processed per import. Import the same file "
                "again to go on.",
                n=MAX_PHOTOS_PER_IMPORT,
            )
            raise BudgetSpent
        self.photos += 1


class BudgetSpent(Exception):
    pass


class AlreadyApplied(Exception):
    pass


def read_entries(data: bytes) -> tuple[list[dict], str]:
    """The entries of an export file, oldest first, and the name the file gives for who exported it."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is too large."))
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # also an integer past Python's 4,300 digits
        raise ImportFileError(_("This is not an export file from the app (it is not JSON).")) from None
    if holds_unstorable_text(document):
        raise ImportFileError(UNSTORABLE_MESSAGE)
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
    budget = Budget()
    for entry in entries:
        if budget.spent:
            report.results.append(EntryResult(entry, "later", budget.spent))
        else:
            report.results.append(_import_one(entry, admin, budget))
    counts = {status: report.count(status) for status in RESULTS}
    audit.record(
        "outbox.import",
        subject=exported_by[:100],
        after={**counts, "credited_to_importer": report.credited_to_importer},
        reason=_importer_reason(report, admin),
        user=admin,
    )
    db.session.commit()
    return report


def _importer_reason(report: ImportReport, admin: User) -> str:
    if not report.credited_to_importer:
        return ""
    return (
        f"{report.credited_to_importer} entries carried no proof of their author "
        f"and are credited to the importing administrator {admin.username}"
    )


def author_of(entry: dict, admin: User) -> tuple[User, bool]:
    """The user the entry's signed token names while their account is active and may make such a
    change (a station's staff its answers, an assessor the rest); else the importing admin."""
    user_id = authorship.user_id_from(entry.get("author_token"))
    user = db.session.get(User, user_id) if user_id else None
    if user is not None and user.active and (user.role == "staff" if _by_station(entry) else user.can_assess):
        return user, True
    return admin, False


def _by_station(entry: dict) -> bool:
    """A station's answer to a deduction, or a photo sent ahead of one."""
    return entry.get("kind") == "rectification" or entry.get("purpose") == RECTIFICATION


def _import_one(entry: dict, admin: User, budget: Budget) -> EntryResult:
    author, proven = author_of(entry, admin)
    try:
        _apply(entry, author, budget, admin)
    except AlreadyApplied:
        return EntryResult(entry, "already")
    except BudgetSpent:
        db.session.rollback()
        return EntryResult(entry, "later", budget.spent)
    except Refused as refused:
        db.session.rollback()
        return EntryResult(entry, "refused", str(refused.message))
    except Exception:
        db.session.rollback()
        current_app.logger.exception("outbox entry could not be applied")
        return EntryResult(entry, "refused", _("This entry could not be applied; nothing of it was saved."))
    budget.count_applied()
    return EntryResult(entry, "applied", credited_to=author, proven=proven)


def _apply(entry: dict, author: User, budget: Budget, admin: User) -> None:
    name = typed_field(entry, "kind", str, "finding")
    kind = KINDS.get(name)
    if kind is None:
        raise Refused(422, _("Entries of the kind “%(kind)s” cannot be imported.", kind=name[:40]))
    mutation_id = parse_mutation_id(_text(entry, "mutation_id") or None)
    if mutation_id is None:
        raise Refused(422, _("The entry has no mutation_id."))
    if db.session.get(Mutation, mutation_id) is not None:
        raise AlreadyApplied
    assessment_id = _int(entry.get("assessment_id"))
    assessment = db.session.get(Assessment, assessment_id) if assessment_id else None
    # The author's change, brought by an administrator: both must reach the assessment.
    reachable = assessment is not None and all(
        regions.can_see_assessment(user, assessment) for user in (author, admin)
    )
    if not reachable:
        raise Refused(404, _("There is no such assessment."))
    kind.apply(entry, assessment, mutation_id, author, budget)


def _int(value) -> int | None:
    """Assessment ids come as numbers or, from page data attributes, as digit strings."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 10:
        value = int(value)
    return value if is_row_id(value) else None


def _text(mapping: dict, name: str) -> str:
    """A text field of an entry or its payload; anything but text (or nothing) is refused."""
    return typed_field(mapping, name, str, "")


def _payload(entry: dict) -> dict:
    return typed_field(entry, "payload", dict, {})


def _finding(entry: dict, assessment: Assessment, mutation_id: str, author: User, _budget: Budget) -> None:
    payload = _payload(entry)
    recorded = assessments.record_finding_once(
        assessment,
        _text(entry, "item_id"),
        mutation_id=mutation_id,
        user=author,
        outcome=_text(payload, "outcome") or None,
        inputs=typed_field(payload, "inputs", dict),
        note=_text(payload, "note"),
        based_on=assessments.parse_based_on(payload.get("based_on")),
    )
    if recorded.not_applied:
        raise Refused(recorded.status, recorded.body["error"])


def _photo(entry: dict, assessment: Assessment, mutation_id: str, author: User, budget: Budget) -> None:
    """Everything that can refuse the photo is checked before it spends the import's photo budget."""
    if entry.get("purpose") == RECTIFICATION:
        _rectification_photo(entry, assessment, mutation_id, author, budget)
        return
    payload = _payload(entry)
    item_id = _text(entry, "item_id")
    upload = photo_actions.Upload(
        _data_url_bytes(entry.get("blob")),
        caption=_text(payload, "caption"),
        taken_at=_text(payload, "taken_at") or None,
        marked_up_from=_int(payload.get("marked_up_from")),
    )
    photo_actions.check_upload(assessment, item_id, upload)
    budget.take_photo()
    photo_actions.upload_once(assessment, item_id, upload, user=author, mutation_id=mutation_id)


def _caption(entry: dict, assessment: Assessment, mutation_id: str, author: User, _budget: Budget) -> None:
    payload = _payload(entry)
    photo_id = _int(payload.get("photo_id"))
    photo = db.session.get(Photo, photo_id) if photo_id else None
    if photo is None or photo.finding.assessment_id != assessment.id:
        raise Refused(404, _("There is no such photo."))
    photo_actions.set_caption_once(photo, _text(payload, "caption"), user=author, mutation_id=mutation_id)


def _no_photo_reason(
    entry: dict, assessment: Assessment, mutation_id: str, author: User, _budget: Budget
) -> None:
    reason = _text(_payload(entry), "no_photo_reason")
    photo_actions.set_no_photo_reason_once(
        assessment, _text(entry, "item_id"), reason, user=author, mutation_id=mutation_id
    )


def _signature(entry: dict, assessment: Assessment, mutation_id: str, author: User, _budget: Budget) -> None:
    payload = _payload(entry)
    role = _text(payload, "role")
    signature = signoff.one_from_json(role, payload, author)
    apply_once(
        mutation_id,
        author,
        Change("signature.keep", (assessment.id, role), payload),
        lambda: (signoff.keep(assessment, role, signature, author), 200),
        lock=assessment,
    )


def _rectification_photo(
    entry: dict, assessment: Assessment, mutation_id: str, author: User, budget: Budget
) -> None:
    """A photo the phone sends ahead of the station's answer: kept as that upload's reply, which
    the answer names it by, as the station's route keeps it."""
    item_id = _text(entry, "item_id")
    data = _data_url_bytes(entry.get("blob"))
    rectifications.answerable(assessment, item_id, author)
    budget.take_photo()
    stored = photo_actions.store(data)
    taken_at = _text(_payload(entry), "taken_at") or None
    rectifications.photo_ahead_once(assessment, item_id, stored, taken_at, author, mutation_id)


def _rectification(
    entry: dict, assessment: Assessment, mutation_id: str, author: User, _budget: Budget
) -> None:
    """The station's answer to a deduction, naming the photos sent ahead of it."""
    payload = _payload(entry)
    item_id = _text(entry, "item_id")
    text, photos = _text(payload, "text"), payload.get("photos", [])
    _reply, answered = rectifications.answer_once(assessment, item_id, text, photos, author, mutation_id)
    if answered:
        notices.answered(answered)


@dataclass(frozen=True)
class Kind:
    """One kind of outbox entry: what the import report calls it and how it is applied."""

    label: str
    apply: Callable[[dict, Assessment, str, User, Budget], None]


# Every kind of entry the phone keeps, the one list of them: the phone is handed these names.
KINDS = {
    "finding": Kind(_l("result"), _finding),
    "photo": Kind(_l("photo"), _photo),
    "caption": Kind(_l("caption"), _caption),
    "no_photo_reason": Kind(_l("reason for no photo"), _no_photo_reason),
    "signature": Kind(_l("signature"), _signature),
    "rectification": Kind(_l("rectification"), _rectification),
}


def _data_url_bytes(value) -> bytes:
    if not isinstance(value, str) or ";base64," not in value:
        raise Refused(422, _("The photo is missing from the entry."))
    try:
        return base64.b64decode(value.split(";base64,", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise Refused(422, _("The photo in the entry is damaged.")) from None
