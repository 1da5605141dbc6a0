"""A client's mutation_id makes a write safe to retry: the same mutation is applied once."""

import hashlib
import json
import uuid

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.errors import Refused
from app.extensions import db
from app.models import Mutation
from app.services import locks


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


def fingerprint(path: str, payload: dict) -> str:
    change = {name: value for name, value in payload.items() if name not in ENVELOPE}
    body = json.dumps({"path": path, "payload": change}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def route_fingerprint(endpoint: str, payload: dict, **values) -> str:
    """A change to the route `endpoint` (with its URL `values`), whether it arrives as a request to
    that route or as an entry of a phone's exported file: both build the path the same way."""
    return fingerprint(url_for(endpoint, **values), payload)


def finding_fingerprint(assessment_id: int, item_id: str) -> str:
    """One fingerprint for a finding change whether it came from the walk page or the API.

    The outbox replays a walk change through the API with the same mutation_id, so both must agree.
    """
    return fingerprint(f"finding/{assessment_id}/{item_id}", {})


def apply_once(mutation_id: str | None, user, print_: str, apply, lock=None):
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
    stored = _stored(mutation_id, print_)
    if stored is not None:
        return stored
    body, status = apply()
    db.session.add(
        Mutation(id=mutation_id, user_id=user.id, fingerprint=print_, status_code=status, response=body)
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        stored = _stored(mutation_id, print_)
        if stored is None:
            raise
        return stored
    return body, status


def _stored(mutation_id: str, print_: str):
    mutation = db.session.get(Mutation, mutation_id)
    if mutation is None:
        return None
    if mutation.fingerprint != print_:
        raise Refused(422, _l("This mutation_id was already used for a different change."))
    return mutation.response, mutation.status_code
