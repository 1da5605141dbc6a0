"""Share links: a read-only, expiring, revocable link to one finalized report, for people without an account.

The token is the only key: it opens that one report, its PDF and its evidence photos, nothing else.
Only its hash is stored; the token is handed back once, when the link is made.
Every creation, revocation and use goes into the audit trail.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Assessment, AuditEvent, Photo, ShareLink, User, utcnow
from app.services import audit, locks
from app.services.refusals import Refused

DEFAULT_DAYS = 30
MAX_DAYS = 365
# How long after opening the report its photos count as part of that view.
VIEW_LENGTH = timedelta(minutes=30)


@dataclass(frozen=True)
class NewLink:
    link: ShareLink
    token: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(assessment: Assessment, user: User, days) -> NewLink:
    """A link to the finalized report; the assessment is locked first, so a reopen racing it either
    lands after the link or refuses it (409), never leaves a link made after it."""
    if not user.can_assess:
        raise Refused(403, _l("Only assessors and administrators can share a report."))
    locks.lock(assessment)
    if not assessment.is_finalized:
        raise Refused(409, _l("Only a finalized assessment can be shared."))
    days = _checked_days(days)
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        assessment=assessment,
        token_sha256=digest(token),
        created_by=user,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        "share.create", assessment=assessment, subject=str(link.id), after=link.snapshot(), user=user
    )
    return NewLink(link, token)


def _checked_days(days) -> int:
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Refused(422, _l("Give the number of days the link works."), field="days") from None
    if not 1 <= days <= MAX_DAYS:
        raise Refused(422, _l("A link works for 1 to %(n)d days.", n=MAX_DAYS), field="days")
    return days


def revoke(assessment: Assessment, link_id: int, user: User) -> ShareLink:
    link = db.session.get(ShareLink, link_id)
    if link is None or link.assessment_id != assessment.id:
        raise Refused(404, _l("Not found."))
    if not user.can_assess:
        raise Refused(403, _l("Only assessors and administrators can share a report."))
    if link.revoked_at is None:
        before = link.snapshot()
        link.revoked_at = utcnow()
        link.revoked_by = user
        audit.record(
            "share.revoke",
            assessment=assessment,
            subject=str(link.id),
            before=before,
            after=link.snapshot(),
            user=user,
        )
    return link


def end_all(assessment: Assessment, user: User, reason: str) -> None:
    """A reopen ends every link still usable: each showed the 定稿 it was made for, and a new 定稿
    must not bring it back (a new link is made for the new one). Each ending is audited."""
    now = utcnow()
    for link in links_of(assessment):
        if link.revoked_at is None and now < link.expires_at:
            before = link.snapshot()
            link.revoked_at = now
            link.revoked_by = user
            audit.record(
                "share.revoke",
                assessment=assessment,
                subject=str(link.id),
                before=before,
                after=link.snapshot(),
                reason=reason,
                user=user,
            )


def links_of(assessment: Assessment) -> list[ShareLink]:
    return db.session.scalars(
        db.select(ShareLink).filter_by(assessment_id=assessment.id).order_by(ShareLink.created_at.desc())
    ).all()


def usable(token: str) -> ShareLink:
    """The link behind a token, refused alike (404) whether unknown, expired, revoked or reopened."""
    link = db.session.scalar(db.select(ShareLink).filter_by(token_sha256=digest(token))) if token else None
    if link is None or not link.is_usable(utcnow()):
        raise Refused(404, _l("This link does not exist, has expired or was withdrawn."))
    return link


def record_use(link: ShareLink, what: str, **detail) -> None:
    """One use of the link (the report page, the PDF or a photo, which `detail` names), in the audit
    trail, committed at once. The photos a report page shows are that one view: a photo opened
    within VIEW_LENGTH of the link's last report view is not an event of its own."""
    if what == "photo" and _report_viewed_lately(link):
        return
    audit.record(
        "share.view",
        assessment=link.assessment,
        subject=str(link.id),
        after={"what": what, **detail},
        user=None,
    )
    db.session.commit()


def _report_viewed_lately(link: ShareLink) -> bool:
    last = db.session.scalar(
        db.select(AuditEvent)
        .filter(
            AuditEvent.action == "share.view",
            AuditEvent.subject == str(link.id),
            AuditEvent.at >= utcnow() - VIEW_LENGTH,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return last is not None and (last.after or {}).get("what") == "report"


def shared_photo(link: ShareLink, photo_id: int) -> Photo:
    """An evidence photo of the shared assessment; anything else is not found."""
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.purpose != "evidence" or photo.finding.assessment_id != link.assessment_id:
        raise Refused(404, _l("Not found."))
    return photo
