"""The append-only trail of every change, chained so that an edited or removed event shows.

Each event gets, as the transaction that adds it commits, its place in the chain (`chain_seq`,
1, 2, 3, …) and a hash over its place, its content and the hash of the event before it
(`chain_hash`). The chain's last link is kept in one row (`audit_chain_head`), locked while a
transaction adds links, so concurrent writers take turns; the links are added last, after every
other lock the transaction holds, so the turn is short and cannot deadlock. `verify()` walks the
chain again and names the first event whose content, place or link does not match.
"""

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
HEAD_ID = 1
UNCHAINED = "audit_events_to_chain"


def record(
    action: str, *, user, assessment=None, subject: str = "", before=None, after=None, reason=""
) -> AuditEvent:
    """Add an audit event to the current transaction; it commits with the change it describes.

    `user` is who did it, passed by every caller (None for the system itself: a reminder run, an
    anonymous reader of a share link, a command run on the server). An event of a test walk of a
    draft form names no assessment: the walk is removed when the draft is published."""
    event = AuditEvent(
        action=action,
        user_id=user.id if user else None,
        assessment_id=assessment.id if assessment is not None and not assessment.is_test else None,
        subject=subject,
        before=before,
        after=after,
        reason=reason,
    )
    db.session.add(event)
    return event


def content_of(event: AuditEvent) -> dict:
    """What an event's hash covers: every field a reader of the trail relies on."""
    return {
        "id": event.id,
        "at": event.at.replace(tzinfo=None).isoformat(timespec="microseconds"),
        "user_id": event.user_id,
        "action": event.action,
        "assessment_id": event.assessment_id,
        "subject": event.subject,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
    }


def link_hash(previous: str, seq: int, event: AuditEvent) -> str:
    body = json.dumps(
        {"previous": previous, "seq": seq, "event": content_of(event)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


@sqlalchemy_event.listens_for(Session, "after_flush")
def _note_new_events(session, _context) -> None:
    fresh = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if fresh:
        session.info.setdefault(UNCHAINED, []).extend(fresh)


@sqlalchemy_event.listens_for(Session, "after_rollback")
def _forget_rolled_back_events(session) -> None:
    session.info.pop(UNCHAINED, None)


@sqlalchemy_event.listens_for(Session, "before_commit")
def _chain_new_events(session) -> None:
    """Link the transaction's new events to the chain, in the order they were added, last thing
    before the commit: three statements however many events (take the last link, write the new
    links, move the last link)."""
    session.flush()
    fresh = session.info.pop(UNCHAINED, [])
    if not fresh:
        return
    seq, previous = _take_last_link(session)
    for added in sorted(fresh, key=lambda e: e.id):
        seq += 1
        previous = link_hash(previous, seq, added)
        added.chain_seq, added.chain_hash = seq, previous
    session.flush()
    session.info.pop(UNCHAINED, None)
    session.execute(
        db.update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(seq=seq, hash=previous)
    )


def _take_last_link(session) -> tuple[int, str]:
    """The chain's last link (made at first use), locked for this transaction in one statement: an
    upsert locks the row on PostgreSQL, and SQLite writes one transaction at a time anyway."""
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect](AuditChainHead)
    statement = (
        insert.values(id=HEAD_ID, seq=0, hash=GENESIS)
        .on_conflict_do_update(index_elements=[AuditChainHead.id], set_={"id": insert.excluded.id})
        .returning(AuditChainHead.seq, AuditChainHead.hash)
    )
    return tuple(session.execute(statement).one())


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken_at: int | None = None  # the id of the first event that does not match
    reason: str = ""

    @property
    def holds(self) -> bool:
        return self.broken_at is None and not self.reason


def verify() -> ChainReport:
    """Walk the chain from its start; the first event whose place, content or link is off breaks it."""
    previous, seq = GENESIS, 0
    query = db.select(AuditEvent).order_by(AuditEvent.chain_seq.is_(None), AuditEvent.chain_seq)
    for event in db.session.scalars(query.execution_options(yield_per=1000)):
        if event.chain_seq is None:
            return ChainReport(seq, event.id, "not in the chain")
        seq += 1
        if event.chain_seq != seq:
            return ChainReport(
                seq - 1, event.id, f"events {seq} to {event.chain_seq - 1} of the chain are missing"
            )
        expected = link_hash(previous, seq, event)
        if event.chain_hash != expected:
            return ChainReport(seq - 1, event.id, "its content or its link was changed")
        previous = expected
    head = db.session.get(AuditChainHead, HEAD_ID)
    if head is not None and (head.seq, head.hash) != (seq, previous):
        return ChainReport(seq, None, f"the chain ends at event {seq}, its last link says {head.seq}")
    return ChainReport(seq)
