"""Rectification (整改): the station answers each deduction with what it fixed; an assessor reviews it.

A deduction is open until the station answers it, then answered until an assessor or admin
accepts it or not; a not-accepted one can be answered again, as a new answer. Each function
checks, changes the session and writes the audit trail; the caller commits.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app import evidence
from app.errors import Refused, checked_text
from app.extensions import db
from app.models import (
    ACCEPTED,
    ANSWERED,
    EVIDENCE,
    NOT_ACCEPTED,
    OPEN,
    RECTIFICATION,
    Assessment,
    Finding,
    Photo,
    Rectification,
    User,
    utcnow,
)
from app.services import audit, locks
from app.services import photos as photo_actions
from app.services.assessments import scorecard
from rubric import ItemScore

TEXT_MAX_LENGTH = 4000
COMMENT_MAX_LENGTH = 2000
MAX_PHOTOS = 10
DECISIONS = (ACCEPTED, NOT_ACCEPTED)
STATUS_LABELS = {
    OPEN: _l("Open"),
    ANSWERED: _l("Answered"),
    ACCEPTED: _l("Accepted"),
    NOT_ACCEPTED: _l("Not accepted"),
}


@dataclass(frozen=True)
class DeductionState:
    """One deduction of a finalized assessment with the station's answers to it."""

    deduction: ItemScore
    finding: Finding

    @property
    def status(self) -> str:
        return status_of(self.finding)

    @property
    def answers(self) -> list[Rectification]:
        return list(self.finding.rectifications)

    @property
    def latest(self) -> Rectification | None:
        return self.finding.rectifications[-1] if self.finding.rectifications else None

    @property
    def can_answer(self) -> bool:
        return self.status in (OPEN, NOT_ACCEPTED)


def status_of(finding: Finding) -> str:
    if not finding.rectifications:
        return OPEN
    latest = finding.rectifications[-1]
    return latest.review or ANSWERED


def deductions(assessment: Assessment) -> list[DeductionState]:
    """The deductions that can be rectified: points lost, not 不适用, in the form's order."""
    return [
        DeductionState(d, assessment.finding_for(d.item.id))
        for d in scorecard(assessment).deductions
        if d.problem_found and assessment.finding_for(d.item.id) is not None
    ]


def deduction_state(assessment: Assessment, item_id: str) -> DeductionState:
    state = next((s for s in deductions(assessment) if s.deduction.item.id == item_id), None)
    if state is None:
        raise Refused(404, _l("This item has no deduction to rectify."))
    return state


def answer(assessment: Assessment, item_id: str, text: str, photos: list[bytes], user: User) -> Rectification:
    """The station's staff say what they corrected, with photos; allowed once the assessment is final."""
    if user.role != "staff" or user.station_id != assessment.station_id:
        raise Refused(403, _l("Only the station's own staff answer its deductions."))
    if len(photos) > MAX_PHOTOS:
        raise Refused(422, _l("At most %(n)d photos per answer.", n=MAX_PHOTOS), field="photo")
    stored_photos = [photo_actions.store(data) for data in photos]
    locks.lock(assessment)
    if not assessment.is_finalized:
        raise Refused(409, _l("Deductions can be answered once the assessment is finalized."))
    state = deduction_state(assessment, item_id)
    if not state.can_answer:
        raise Refused(409, _l("This deduction is already answered: wait for the review."))
    too_long = _l("The answer is too long (at most %(n)d characters).", n=TEXT_MAX_LENGTH)
    text = checked_text(text, TEXT_MAX_LENGTH, too_long, "text")
    if not text:
        raise Refused(422, _l("Say what was corrected."), field="text")
    rectification = Rectification(
        assessment=assessment,
        finding=state.finding,
        item_id=item_id,
        text=text,
        answered_by=user,
        answered_at=utcnow(),
    )
    db.session.add(rectification)
    db.session.flush()
    for stored in stored_photos:
        _attach(rectification, stored, user)
    audit.record(
        "rectification.answer",
        assessment=assessment,
        subject=item_id,
        before={"status": state.status},
        after=rectification.snapshot(),
        user=user,
    )
    return rectification


def _attach(rectification: Rectification, stored: evidence.StoredPhoto, user: User) -> Photo:
    """A picture stored through the evidence pipeline, kept once per answer."""
    return photo_actions.add_stored(
        stored,
        same_as=rectification.photos,
        finding_id=rectification.finding_id,
        purpose=RECTIFICATION,
        rectification=rectification,
        taken_at=photo_actions.as_utc(stored.taken_at),
        uploaded_by=user,
    ).photo


def review(rectification: Rectification, decision: str, comment: str, user: User) -> Rectification:
    """An assessor or admin accepts the answer, or not (saying why)."""
    if not user.can_assess:
        raise Refused(403, _l("Only assessors and administrators review answers."))
    if decision not in DECISIONS:
        raise Refused(422, _l("Choose accepted or not accepted."), field="decision")
    locks.lock(rectification.assessment)
    if rectification.review is not None:
        raise Refused(409, _l("This answer is already reviewed."))
    if rectification is not rectification.finding.rectifications[-1]:
        raise Refused(409, _l("A newer answer replaces this one."))
    too_long = _l("The comment is too long (at most %(n)d characters).", n=COMMENT_MAX_LENGTH)
    comment = checked_text(comment, COMMENT_MAX_LENGTH, too_long, "comment")
    if decision == NOT_ACCEPTED and not comment:
        raise Refused(422, _l("Say why the answer is not accepted."), field="comment")
    before = rectification.snapshot()
    rectification.review = decision
    rectification.review_comment = comment
    rectification.reviewed_by = user
    rectification.reviewed_at = utcnow()
    audit.record(
        "rectification.review",
        assessment=rectification.assessment,
        subject=rectification.item_id,
        before=before,
        after=rectification.snapshot(),
        user=user,
    )
    return rectification


def waiting_for_review(assessment: Assessment) -> list[DeductionState]:
    return [state for state in deductions(assessment) if state.status == ANSWERED]


def is_evidence(photo: Photo) -> bool:
    return photo.purpose == EVIDENCE
