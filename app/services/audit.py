"""The append-only trail of every change."""

from app.extensions import db
from app.models import AuditEvent


def record(
    action: str, *, user, assessment=None, subject: str = "", before=None, after=None, reason=""
) -> AuditEvent:
    """Add an audit event to the current transaction; it commits with the change it describes.

    `user` is who did it, passed by every caller (None for the system itself: a reminder run, an
    anonymous reader of a share link, a command run on the server)."""
    actor = user
    event = AuditEvent(
        action=action,
        user_id=actor.id if actor else None,
        assessment_id=assessment.id if assessment is not None else None,
        subject=subject,
        before=before,
        after=after,
        reason=reason,
    )
    db.session.add(event)
    return event
