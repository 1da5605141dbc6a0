"""An assessment's audit trail told as a timeline: who changed what, when, from what to what."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Assessment, AuditEvent, User
from app.services.assessments import STATUS_LABELS
from app.services.paging import Page, paginate
from app.services.rubrics import rubric_of
from rubric import Item

ACTION_LABELS = {
    "assessment.start": _l("Started the assessment"),
    "finding.set": _l("Recorded a result"),
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
}
# Photo snapshots name files and people by id: not something a reader of the timeline can use.
HIDDEN_KEYS = {"item_id", "sha256", "uploaded_by", "marked_up_from"}


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
        old, new = _describe(item, key, before.get(key)), _describe(item, key, after.get(key))
        if old != new:
            changes.append(Change(str(FIELD_LABELS.get(key, key)), old, new))
    label = ACTION_LABELS.get(event.action)
    return Entry(
        at=event.at,
        user=event.user,
        action=event.action,
        label=str(label) if label else event.action,
        item=item,
        changes=changes,
        reason=event.reason,
    )


def _describe(item: Item | None, key: str, value) -> str:
    if value is None or value == "" or value == {}:
        return "—"
    if key == "outcome" and item is not None:
        outcome = item.outcome(value)
        if outcome is not None:
            return str(_l("%(label)s (%(points)d points)", label=outcome.label, points=outcome.points))
    if key == "status":
        return str(STATUS_LABELS.get(value, value))
    if isinstance(value, dict):
        return ", ".join(f"{name} = {number}" for name, number in value.items())
    return str(value)
