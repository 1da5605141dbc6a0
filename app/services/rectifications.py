"""Rectification (整改): the station answers each deduction with what it fixed; an assessor reviews it.

A deduction is open until the station answers it, then answered until an assessor or admin
accepts it or not; a not-accepted one can be answered again, as a new answer. Each function
checks, changes the session and writes the audit trail; the caller commits.
"""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    ACCEPTED,
    ANSWERED,
    FINALIZED,
    NOT_ACCEPTED,
    OPEN,
    RECTIFICATION,
    Assessment,
    Finding,
    Mutation,
    Photo,
    Rectification,
    User,
    utcnow,
)
from app.services import audit, evidence, locks, regions
from app.services import photos as photo_actions
from app.services.assessments import scorecard
from app.services.idempotency import Change, apply_once, parse_mutation_id
from app.services.json_shapes import rectification_json
from app.services.refusals import Refused, checked_text
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
    ensure_station_staff(assessment, user)
    ensure_photo_count(len(photos))
    # What can be refused before any file is written is checked first, and checked again under the
    # lock; a refusal after photos were stored removes those no photo row uses.
    answerable(assessment, item_id, user)
    _checked_answer_text(text)
    stored_photos = []
    try:
        for data in photos:
            stored_photos.append(photo_actions.store(data))
        return answer_with_stored(assessment, item_id, text, stored_photos, user)
    except Refused:
        photo_actions.discard_unused(stored_photos)
        raise


def ensure_station_staff(assessment: Assessment, user: User) -> None:
    if user.role != "staff" or user.station_id != assessment.station_id:
        raise Refused(403, _l("Only the station's own staff answer its deductions."))


def ensure_photo_count(count: int) -> None:
    if count > MAX_PHOTOS:
        raise Refused(422, _l("At most %(n)d photos per answer.", n=MAX_PHOTOS), field="photo")


def answerable(assessment: Assessment, item_id: str, user: User) -> DeductionState:
    """The deduction if `user` may answer it now; checked again under the lock when the answer comes."""
    ensure_station_staff(assessment, user)
    if not assessment.is_finalized:
        raise Refused(409, _l("Deductions can be answered once the assessment is finalized."))
    state = deduction_state(assessment, item_id)
    if not state.can_answer:
        raise Refused(409, _l("This deduction is already answered: wait for the review."))
    return state


def answer_with_stored(
    assessment: Assessment, item_id: str, text: str, stored_photos: list[evidence.StoredPhoto], user: User
) -> Rectification:
    """The answer with photos already through the pipeline (the slow part, done before the lock)."""
    ensure_photo_count(len(stored_photos))
    locks.lock(assessment)
    state = answerable(assessment, item_id, user)
    text = _checked_answer_text(text)
    before = {"status": state.status}
    if state.latest is not None:
        before |= _answer_record(state.latest)
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
        before=before,
        after={"status": ANSWERED, **_answer_record(rectification)},
        user=user,
    )
    return rectification


def _checked_answer_text(text: str) -> str:
    too_long = _l("The answer is too long (at most %(n)d characters).", n=TEXT_MAX_LENGTH)
    text = checked_text(text, TEXT_MAX_LENGTH, too_long, "text")
    if not text:
        raise Refused(422, _l("Say what was corrected."), field="text")
    return text


def _answer_record(rectification: Rectification) -> dict:
    """An answer as the audit trail keeps it: its text, how many photos and their files, its review."""
    return {
        "text": rectification.text,
        "photos": [photo.sha256 for photo in rectification.photos],
        "review": rectification.review,
        "review_comment": rectification.review_comment,
    }


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


def photo_sent_ahead(
    assessment: Assessment, item_id: str, stored: evidence.StoredPhoto, client_taken_at: datetime | None
) -> dict:
    """What the server answers for a photo a phone sends ahead of its answer; kept as that upload's
    reply (see app.services.idempotency), it is what the answer finds the photo by.

    The capture time is the file's own or else the one the phone read before shrinking it (UTC).
    """
    fields = asdict(stored)
    when = photo_actions.as_utc(stored.taken_at) or client_taken_at
    fields["taken_at"] = when.replace(tzinfo=UTC).isoformat() if when else None
    return {"assessment_id": assessment.id, "item_id": item_id, "sha256": stored.sha256, "stored": fields}


def photos_sent_ahead(assessment: Assessment, item_id: str, mutation_ids: list, user: User) -> list:
    """The photos `user` sent ahead for this answer, by the mutation_id of each upload, in order.

    Only the user's own uploads for this deduction count; one that has not arrived is refused,
    so an answer never reaches the reviewer without a photo its author attached.
    """
    if not isinstance(mutation_ids, list) or not all(isinstance(m, str) for m in mutation_ids):
        raise Refused(422, _l("photos must be a list of upload mutation ids."), field="photos")
    ensure_photo_count(len(set(mutation_ids)))
    stored = []
    for mutation_id in dict.fromkeys(parse_mutation_id(m) for m in mutation_ids):
        reply = _upload_reply(mutation_id, user)
        if reply is None or reply.get("assessment_id") != assessment.id or reply.get("item_id") != item_id:
            raise Refused(
                422,
                _l("A photo of this answer has not reached the server: send it again, or remove it."),
                field="photos",
                code="photo_missing",
            )
        stored.append(_stored_from(reply["stored"]))
    return stored


def _upload_reply(mutation_id: str, user: User) -> dict | None:
    mutation = db.session.get(Mutation, mutation_id)
    if mutation is None or mutation.user_id != user.id or not isinstance(mutation.response, dict):
        return None
    return mutation.response if "stored" in mutation.response else None


def _stored_from(fields: dict) -> evidence.StoredPhoto:
    taken_at = fields.get("taken_at")
    return evidence.StoredPhoto(
        **{**fields, "taken_at": datetime.fromisoformat(taken_at) if taken_at else None}
    )


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


def review_queue(user: User) -> list[tuple[Assessment, list[DeductionState]]]:
    """The answers waiting for this user's review, newest assessment first: an assessor's are
    those of the assessments they worked on, an administrator's are every station's in their subtree."""
    query = (
        db.select(Assessment)
        .where(Assessment.id.in_(db.select(Rectification.assessment_id).filter_by(review=None)))
        .filter_by(status=FINALIZED)
        .order_by(Assessment.finalized_at.desc())
    )
    if not user.is_admin:
        query = query.where(Assessment.team.any(User.id == user.id))
    else:
        query = query.where(regions.assessment_clause(user))
    waiting = [(assessment, waiting_for_review(assessment)) for assessment in db.session.scalars(query)]
    return [(assessment, states) for assessment, states in waiting if states]


def answer_once(
    assessment: Assessment, item_id: str, text: str, photos, user: User, mutation_id: str | None
) -> tuple[tuple[dict, int], Rectification | None]:
    """The station's answer naming the photos it sent ahead, applied once per mutation_id whether
    it comes from the phone or from its exported file; commits. Answers the reply, and the answer
    when this call made it (None for a replay), for the caller to tell the assessors."""
    answered = []

    def apply():
        stored = photos_sent_ahead(assessment, item_id, photos, user)
        rectification = answer_with_stored(assessment, item_id, text, stored, user)
        answered.append(rectification)
        return rectification_json(rectification), 201

    change = Change("rectification.answer", (assessment.id, item_id), {"text": text, "photos": photos})
    reply = apply_once(mutation_id, user, change, apply, lock=assessment)
    return reply, (answered[0] if answered else None)


def photo_ahead_once(
    assessment: Assessment, item_id: str, stored, taken_at: str | None, user: User, mutation_id: str | None
) -> tuple[dict, int]:
    """A photo sent ahead of the answer that will name it, kept once per mutation_id; commits."""
    when = photo_actions.parse_client_time(taken_at)
    payload = {"sha256": stored.sha256, "taken_at": taken_at}
    change = Change("rectification.photo", (assessment.id, item_id), payload)

    def apply():
        return photo_sent_ahead(assessment, item_id, stored, when), 201

    return apply_once(mutation_id, user, change, apply, lock=assessment)
