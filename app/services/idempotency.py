"""A client's mutation_id makes a write safe to retry: the same mutation is applied once."""

import hashlib
import json
import uuid
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Mutation
from app.services import locks
from app.services.refusals import Refused


def parse_mutation_id(value) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise Refused(422, _l("mutation_id must be a UUID.")) from None


# Fields that say who sends a change and under which id, not what it is: a phone's request carries
# them, the same entry imported from its exported file does not, and both are one change.
ENVELOPE = ("mutation_id", "author")

# Before changes were named by kind, a fingerprint was made from the path of the route the change
# was sent to. These are those paths as they stood then, frozen: a phone that retries such a change
# after an upgrade still matches the row stored for it, whatever the routes are called now.
EARLIER_PATHS = {
    "assessment.start": "/api/assessments",
    "assessment.finalize": "/api/assessments/{0}/finalize",
    "signature.keep": "/api/assessments/{0}/signatures/{1}",
    # One change per item whatever its content: the outbox replays a walk change through the API
    # with the same mutation_id, so the two agree however the result was edited in between.
    "finding.record": "finding/{0}/{1}",
    "finding.no_photo_reason": "/photos/assessments/{0}/items/{1}/no-photo-reason",
    "photo.add": "/api/assessments/{0}/findings/{1}/photos",
    "photo.caption": "/api/photos/{0}",
    "rectification.answer": "/station/assessments/{0}/items/{1}/rectification",
    "rectification.photo": "/station/assessments/{0}/items/{1}/rectification/photos",
}


@dataclass(frozen=True)
class Change:
    """What a change is, apart from the route or the file that carries it: a stable kind (one of
    EARLIER_PATHS' keys, never renamed), the ids of what it is to, and its content."""

    kind: str
    subject: tuple = ()
    payload: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in EARLIER_PATHS:
            raise ValueError(f"unknown kind of change: {self.kind}")

    @property
    def content(self) -> dict:
        return {name: value for name, value in self.payload.items() if name not in ENVELOPE}

    def fingerprint(self) -> str:
        body = {"change": self.kind, "subject": [str(part) for part in self.subject], "payload": self.content}
        return _digest(body)

    def earlier_fingerprint(self) -> str:
        """The fingerprint this change had when fingerprints were made from route paths."""
        path = EARLIER_PATHS[self.kind].format(*self.subject)
        return _digest({"path": path, "payload": self.content})

    def matches(self, stored: str) -> bool:
        return stored in (self.fingerprint(), self.earlier_fingerprint())


def _digest(body: dict) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def apply_once(mutation_id: str | None, user, change: Change, apply, lock=None):
    """Run apply() -> (body, status) once per mutation_id and answer a retry with the stored reply.

    The mutation row commits in the same transaction as the change, so a change is never
    applied without its row nor the row stored without its change. `lock` (the assessment the
    change is to) is locked before the stored reply is looked up, so a replay sent while the
    first is still being applied waits for it and gets its answer.
    """
    if lock is not None:
        locks.lock(lock)
    if mutation_id is None:
        body, status = apply()
        db.session.commit()
        return body, status
    stored = _stored(mutation_id, change)
    if stored is not None:
        return stored
    body, status = apply()
    db.session.add(
        Mutation(
            id=mutation_id,
            user_id=user.id,
            fingerprint=change.fingerprint(),
            status_code=status,
            response=body,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        stored = _stored(mutation_id, change)
        if stored is None:
            raise
        return stored
    return body, status


def _stored(mutation_id: str, change: Change):
    mutation = db.session.get(Mutation, mutation_id)
    if mutation is None:
        return None
    if not change.matches(mutation.fingerprint):
        raise Refused(422, _l("This mutation_id was already used for a different change."))
    return mutation.response, mutation.status_code
