"""An assessment's audit trail told as a timeline: who changed what, when, from what to what."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ABSENT, REFUSED, SIGNED, Assessment, AuditEvent, User
from app.services.assessments import INPUT_LABELS, STATUS_LABELS
from app.services.paging import Page, paginate
from app.services.rectifications import STATUS_LABELS as RECTIFICATION_LABELS
from app.services.rubrics import rubric_of
from rubric import NOT_APPLICABLE, Item

ACTION_LABELS = {
    "assessment.start": _l("Started the assessment"),
    "finding.set": _l("Recorded a result"),
    "finding.not_applied": _l("A result was not applied: a teammate's newer result stood"),
    "assessment.finalize": _l("Finalized the assessment"),
    "assessment.reopen": _l("Reopened the assessment"),
    "finding.no_photo_reason": _l("Recorded why there is no photo"),
    "photo.add": _l("Added an evidence photo"),
    "photo.caption": _l("Changed a photo's caption"),
    "photo.delete": _l("Removed an evidence photo"),
    "share.create": _l("Created a share link"),
    "share.revoke": _l("Withdrew a share link"),
    "share.view": _l("Someone opened a share link"),
    "rectification.deadline": _l("Set the rectification deadline"),
    "rectification.answer": _l("The station answered a deduction"),
    "rectification.review": _l("Reviewed a rectification answer"),
    "signature.sign": _l("Recorded a signature"),
    "signature.absent": _l("Recorded that the representative was absent"),
    "signature.refused": _l("Recorded that the representative refused to sign"),
    "signature.clear": _l("Cleared a signature"),
    "mail.due": _l("E-mailed a rectification reminder"),
}
FIELD_LABELS = {
    "outcome": _l("Outcome"),
    "inputs": _l("Counts"),
    "note": _l("Note"),
    "score": _l("Total"),
    "status": _l("Status"),
    "no_photo_reason": _l("Why no photo"),
    "caption": _l("Caption"),
    "text": _l("Rectification answer"),
    "photos": _l("Photos"),
    "review": _l("Review result"),
    "review_comment": _l("Review comment"),
    "overall": _l("For every deduction"),
    "per_item": _l("Per deduction"),
    "expires_at": _l("Valid until"),
    "revoked": _l("Withdrawn"),
    "what": _l("Opened"),
    "name": _l("Full name"),
    "role": _l("Role"),
}
# Snapshots name files and people by id, or hold the whole record: nothing a reader can use.
HIDDEN_KEYS = {"item_id", "sha256", "uploaded_by", "marked_up_from", "image_bytes", "record", "photo_id"}
SIGNATURE_LABELS = {SIGNED: _l("Signed in person"), ABSENT: _l("Absent"), REFUSED: _l("Refused to sign")}
OPENED_LABELS = {"report": _l("the report"), "pdf": _l("the PDF"), "photo": _l("an evidence photo")}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    at: datetime
    user: User | None
    action: str
    label: str
    sentence: str = ""
    """Who did what, from what to what, as one sentence where the change allows (a result)."""
    item: Item | None = None
    changes: list[Change] = field(default_factory=list)
    reason: str = ""


def events(assessment: Assessment, page: int, per_page: int = 50) -> Page:
    """A page of the assessment's timeline, newest first."""
    statement = (
        db.select(AuditEvent)
        .filter_by(assessment_id=assessment.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    result = paginate(statement, page, per_page)
    result.items = [_entry(assessment, event) for event in result.items]
    return result


def _entry(assessment: Assessment, event: AuditEvent) -> Entry:
    about_item = event.action.startswith(("finding.", "photo."))
    item = rubric_of(assessment).item(event.subject) if about_item else None
    before, after = event.before or {}, event.after or {}
    changes = []
    for key in dict.fromkeys([*before, *after]):
        if key in HIDDEN_KEYS:
            continue
        old = _describe(item, key, before.get(key), event.action)
        new = _describe(item, key, after.get(key), event.action)
        if old != new:
            changes.append(Change(str(FIELD_LABELS.get(key, key)), old, new))
    label = ACTION_LABELS.get(event.action)
    return Entry(
        at=event.at,
        user=event.user,
        action=event.action,
        label=str(label) if label else event.action,
        sentence=_sentence(event, item, before, after),
        item=item,
        changes=changes,
        reason=event.reason,
    )


def _sentence(event: AuditEvent, item: Item | None, before: dict, after: dict) -> str:
    if event.action != "finding.set" or item is None or not after.get("outcome"):
        return ""
    who = event.user.name if event.user else str(_l("System"))
    new = _result_words(item, after)
    if before.get("outcome"):
        return str(
            _l(
                "%(who)s changed %(item)s from %(before)s to %(after)s",
                who=who,
                item=item.code,
                before=_result_words(item, before),
                after=new,
            )
        )
    return str(_l("%(who)s recorded %(item)s as %(after)s", who=who, item=item.code, after=new))


def _result_words(item: Item, snapshot: dict) -> str:
    """满分, 扣1分 or 不适用, and the note after it."""
    outcome = item.outcome(snapshot.get("outcome"))
    if outcome is None:
        return "—"
    if outcome.key == NOT_APPLICABLE:
        words = str(_l("not applicable"))
    elif outcome.points >= item.points:
        words = str(_l("full points"))
    else:
        words = str(_l("%(n)d points lost", n=item.points - outcome.points))
    note = (snapshot.get("note") or "").strip()
    return str(_l("%(words)s: %(note)s", words=words, note=note)) if note else words


def _describe(item: Item | None, key: str, value, action: str = "") -> str:
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if key == "outcome" and item is not None:
        outcome = item.outcome(value)
        if outcome is not None:
            return str(_l("%(label)s (%(points)d points)", label=outcome.label, points=outcome.points))
    if key in ("status", "review"):
        if action.startswith("rectification.") and value in RECTIFICATION_LABELS:
            return str(RECTIFICATION_LABELS[value])
        if action.startswith("signature.") and value in SIGNATURE_LABELS:
            return str(SIGNATURE_LABELS[value])
        return str(STATUS_LABELS.get(value, value))
    if key == "photos" and isinstance(value, list):
        return str(_l("%(n)d photos", n=len(value)))
    if key == "what":
        return str(OPENED_LABELS.get(value, value))
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if key == "inputs" and isinstance(value, dict):
        return "，".join(
            f"{INPUT_LABELS.get(name, name)} {_describe(item, '', number)}" for name, number in value.items()
        )
    if isinstance(value, dict):
        return "；".join(f"{name}：{_describe(item, '', number)}" for name, number in sorted(value.items()))
    return str(value)
