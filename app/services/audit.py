"""The append-only trail of every change."""

from flask_login import current_user

from app.extensions import db
from app.models import AuditEvent


def record(
    action: str, *, assessment=None, subject: str = "", before=None, after=None, reason="", user=None
) -> AuditEvent:
    """Add an audit event to the current transaction; it commits with the change it describes."""
    actor = user if user is not None else _current_user_or_none()
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


def _current_user_or_none():
    try:
        return current_user if current_user.is_authenticated else None
    except (AttributeError, RuntimeError):
        return None
