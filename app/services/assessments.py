"""What can be done to an assessment, for the walk pages and the API alike.

Each function checks, changes the session and writes the audit trail; the caller commits.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import FINALIZED, IN_PROGRESS, Assessment, Finding, Station, User, utcnow
from app.services import assessment_list, audit, dashboard, frozen, locks, shares, signoff
from app.services.authorship import ensure_author
from app.services.idempotency import Change, apply_once, parse_mutation_id
from app.services.json_shapes import finding_json, totals_json
from app.services.refusals import Refused, checked_text, error_json, typed_field
from app.services.rubrics import active_rubric, rubric_of
from rubric import NOT_APPLICABLE, ItemScore, Result, Scorecard, ScoringError, resolve_outcome, score

STATUS_LABELS = {IN_PROGRESS: _l("In progress"), FINALIZED: _l("Finalized")}
NOTE_MAX_LENGTH = 4000
NO_PHOTO_REASON_MAX_LENGTH = 1000
# The code of the answer to a result a teammate's newer result kept from applying.
NOT_APPLIED = "not_applied"
# Results a phone sends in one request: a day's walk kept offline goes in a few round trips.
MAX_FINDINGS_PER_REQUEST = 100

SCORING_MESSAGES = {
    "unknown_item": _l("This item is not on the form."),
    "unknown_outcome": _l("Choose one of this item's outcomes."),
    "outcome_required": _l("Choose an outcome or enter the counts."),
    "inputs_not_accepted": _l("This item takes no counts; choose an outcome."),
    "unknown_input": _l("This item does not take that count."),
    "input_required": _l("Enter %(input)s."),
    "invalid_input": _l("%(input)s must be a whole number, 0 or more."),
    "invalid_input_bool": _l("%(input)s must be ticked or not."),
    "not_applicable_not_allowed": _l("This item always applies: it cannot be marked not applicable."),
    "papers_checked_zero": _l("At least one paper must have been checked."),
    "errors_exceed_checked": _l("Papers with errors cannot be more than papers checked."),
    "serious_without_problem": _l(
        "A serious problem is marked but no problem was found: enter the number of problems found first."
    ),
    "input_too_large": _l("%(input)s cannot be more than %(maximum)s."),
    "outcome_mismatch": _l(
        "The counts give a different outcome. To choose another one, clear the counts "
        "and explain your decision in the note."
    ),
    "reason_required": _l("Not applicable needs a written reason in the note."),
    "duplicate_finding": _l("This item has more than one finding."),
}


INPUT_LABELS = {
    "problems": _l("Problems found"),
    "serious": _l("At least one problem is serious"),
    "papers_checked": _l("Papers checked"),
    "papers_with_errors": _l("Papers with scoring errors"),
}


# Scoring an item loads the assessment with its station and team in one query; the scorecard then
# reads the findings' results as plain rows and only the scored item's finding becomes an object.
SCORING_LOAD = (joinedload(Assessment.station), joinedload(Assessment.team))


@dataclass(frozen=True)
class RecordedFinding:
    """What recording a finding answers: the JSON body, and (unless it was a replay) the objects
    it was computed from, so that the walk renders its fragment without scoring a second time."""

    body: dict
    finding: Finding | None = None
    card: Scorecard | None = None
    status: int = 200

    @property
    def not_applied(self) -> bool:
        """A teammate's newer result stands; the body says whose, what and when (`current`)."""
        return self.status == 409 and self.body.get("code") == NOT_APPLIED


def scoring_message(error: ScoringError) -> str:
    """The user's words for a scoring error; a counted-input error names its field."""
    code = error.code
    if code == "invalid_input" and error.params.get("type") == "bool":
        code = "invalid_input_bool"
    message = SCORING_MESSAGES.get(code)
    if message is None:
        return error.message
    name = error.params.get("input")
    if code in ("input_required", "invalid_input", "invalid_input_bool", "input_too_large"):
        return str(message) % {
            "input": f"“{INPUT_LABELS.get(name, name)}”",
            "maximum": error.params.get("maximum"),
        }
    return str(message)


def start_assessment(station: Station, user: User) -> Assessment:
    return start_or_join(station, user)[0]


def start_or_join(station: Station, user: User) -> tuple[Assessment, bool]:
    """The station's assessment in progress, which the user joins, or a new one (True when new).

    A station has one assessment in progress at a time: the station's row is locked while
    looking, and the database refuses a second one (a partial unique index) regardless.
    """
    locks.lock(station)
    current = in_progress_at(station)
    if current is not None:
        current.join_team(user)
        return current, False
    if not station.active:
        raise Refused(422, _l("This station is deactivated."))
    rubric = active_rubric()
    assessment = Assessment(
        station=station,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        lead_assessor=user,
        team=[user],
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record("assessment.start", assessment=assessment, subject=station.code, user=user)
    return assessment, True


def finished_by(user: User, station_text: str = ""):
    """The finalized assessments `user` worked on, newest first, optionally by station name or code."""
    return assessment_list.search(
        actor=user,
        station=station_text,
        status=FINALIZED,
        assessor_id=user.id,
        newest_by=Assessment.finalized_at,
    )


def in_progress_at(station: Station) -> Assessment | None:
    """The one assessment open at a station, which a second assessor joins rather than doubles."""
    return db.session.scalar(
        db.select(Assessment).filter_by(station_id=station.id, status=IN_PROGRESS, is_test=False)
    )


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The station's last finalized assessment before this one (上次评估), for the next visit."""
    return db.session.scalar(
        db.select(Assessment)
        .filter(
            Assessment.station_id == assessment.station_id,
            Assessment.status == FINALIZED,
            Assessment.id != assessment.id,
            Assessment.finalized_at <= (assessment.finalized_at or utcnow()),
        )
        .order_by(Assessment.finalized_at.desc(), Assessment.id.desc())
        .limit(1)
    )


def scorecard(assessment: Assessment) -> Scorecard:
    """Score the assessment from its loaded findings, or else from one query of their results."""
    if _findings_loaded(assessment):
        scored = [_as_result(f) for f in assessment.findings if f.outcome]
    else:
        rows = db.session.execute(
            select(Finding.item_id, Finding.outcome, Finding.inputs, Finding.note).where(
                Finding.assessment_id == assessment.id, Finding.outcome.is_not(None)
            )
        )
        scored = [Result(*row) for row in rows]
    return score(rubric_of(assessment), scored)


def _findings_loaded(assessment: Assessment) -> bool:
    return "findings" not in inspect(assessment).unloaded


def finding_of(assessment: Assessment, item_id: str) -> Finding | None:
    """One item's finding with its photos, without loading the other 60 when they are not loaded."""
    if _findings_loaded(assessment):
        return assessment.finding_for(item_id)
    return db.session.scalar(
        select(Finding)
        .where(Finding.assessment_id == assessment.id, Finding.item_id == item_id)
        .options(joinedload(Finding.photos))
    )


def _as_result(finding: Finding) -> Result:
    return Result(finding.item_id, finding.outcome, finding.inputs, finding.note)


def ensure_writable(assessment: Assessment) -> None:
    """Lock the assessment for this transaction, then refuse if it is finalized."""
    locks.lock(assessment)
    refuse_if_finalized(assessment)


def refuse_if_finalized(assessment: Assessment) -> None:
    """Refuse a change to a finalized assessment (409); without the lock, a cheap early answer that
    spares the work of a change bound to be refused, checked again under the lock."""
    if assessment.is_finalized:
        raise Refused(409, _l("This assessment is finalized and can no longer be changed."))


class TeammateWasFirst(Refused):
    """A result based on an older revision of an item than a teammate's result applied since.

    It is answered (409) and audited rather than rolled back: the mutation it came under keeps
    that answer, so a phone sending it again is told the same."""

    def __init__(self, finding: Finding, item):
        current = current_result(finding, item)
        super().__init__(
            409,
            _l(
                "%(name)s set this item to “%(outcome)s” after the result yours was based on: "
                "yours was not applied.",
                name=current["by"],
                outcome=current["outcome_label"],
            ),
            code=NOT_APPLIED,
            item_id=finding.item_id,
            current=current,
        )


def current_result(finding: Finding, item) -> dict:
    """The result that stands on an item, for one who tried to change it from an older revision."""
    return {
        "outcome": finding.outcome,
        "outcome_label": item.outcome(finding.outcome).label,
        "inputs": finding.inputs,
        "note": finding.note,
        "revision": finding.revision,
        "by": finding.revised_by.name,
        "by_username": finding.revised_by.username,
        "at": finding.revised_at.isoformat() + "Z",
    }


def newer_by_teammate(finding: Finding | None, based_on: int | None, user: User) -> bool:
    """Whether the item's result was applied by someone else since the revision a change is based
    on. A change sent without one (from before revisions) and a user's own results are not held
    back: whoever edits twice means the second."""
    if finding is None or based_on is None or finding.revision <= based_on:
        return False
    return finding.revised_by_id is not None and finding.revised_by_id != user.id


def parse_based_on(value) -> int | None:
    """The revision a result was based on, as a form or JSON sends it; none means an older client."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Refused(
            422, _l("based_on must be the revision the result was based on: 0 or more."), field="based_on"
        )
    return value


def record_finding(
    assessment: Assessment,
    item_id: str,
    *,
    outcome,
    inputs,
    note: str,
    user: User,
    no_photo_reason=None,
    based_on: int | None = None,
) -> Finding:
    """Set one item's result. A later write wins, and the audit trail keeps both, unless it was
    based on an older revision than a teammate's result applied since: then it is not applied,
    the audit trail keeps it, and TeammateWasFirst says whose result stands."""
    ensure_writable(assessment)
    item = rubric_of(assessment).item(item_id)
    if item is None:
        raise Refused(404, SCORING_MESSAGES["unknown_item"])
    note = checked_text(
        note,
        NOTE_MAX_LENGTH,
        _l("The note is too long (at most %(n)d characters).", n=NOTE_MAX_LENGTH),
        "note",
    )
    try:
        outcome_key = resolve_outcome(item, outcome or None, inputs or None, note)
    except ScoringError as error:
        raise Refused(422, scoring_message(error), code=error.code) from error
    finding = finding_of(assessment, item_id)
    if newer_by_teammate(finding, based_on, user):
        audit.record(
            "finding.not_applied",
            assessment=assessment,
            subject=item_id,
            before={**finding.snapshot(), "revision": finding.revision},
            after={"outcome": outcome_key, "inputs": inputs, "note": note, "based_on": based_on},
            user=user,
        )
        raise TeammateWasFirst(finding, item)
    before = finding.snapshot() if finding else None
    if finding is None:
        finding = Finding(assessment=assessment, item_id=item_id, outcome=outcome_key, updated_by=user)
        db.session.add(finding)
    finding.outcome = outcome_key
    finding.inputs = dict(inputs) if inputs else None
    finding.note = note
    if no_photo_reason is not None:
        finding.no_photo_reason = _checked_no_photo_reason(no_photo_reason)
    finding.updated_by = user
    finding.updated_at = utcnow()
    finding.revision = (finding.revision or 0) + 1
    finding.revised_by = user
    finding.revised_at = finding.updated_at
    assessment.join_team(user)
    audit.record(
        "finding.set",
        assessment=assessment,
        subject=item_id,
        before=before,
        after=finding.snapshot(),
        user=user,
    )
    return finding


def record_finding_once(
    assessment: Assessment, item_id: str, *, mutation_id: str | None, user: User, **changes
) -> RecordedFinding:
    """Record a finding once per mutation_id, whether it comes from the walk, the API or a phone's file.

    Answers the finding and the new totals, scored once; a retry of the same mutation gets the
    stored answer. A result a teammate's newer one keeps from applying is answered 409, and that
    answer is kept for the mutation like any other.
    """
    computed = {}

    def apply():
        try:
            finding = record_finding(assessment, item_id, user=user, **changes)
        except TeammateWasFirst as first:
            return error_json(first.message, **first.details), first.status
        db.session.flush()
        card = scorecard(assessment)
        computed.update(finding=finding, card=card)
        return {"finding": finding_json(finding, card), **totals_json(card)}, 200

    body, status = apply_once(
        mutation_id, user, Change("finding.record", (assessment.id, item_id)), apply, lock=assessment
    )
    return RecordedFinding(body, status=status, **computed)


def finding_change(body: dict) -> dict:
    """The fields of one result as a client sends them, each of its type (422 otherwise)."""
    return {
        "outcome": typed_field(body, "outcome", str),
        "note": typed_field(body, "note", str, ""),
        "inputs": typed_field(body, "inputs", dict),
        "no_photo_reason": typed_field(body, "no_photo_reason", str),
        "based_on": parse_based_on(body.get("based_on")),
    }


def record_findings_in_order(assessment: Assessment, changes: list, user: User) -> list[dict]:
    """Record results a phone kept waiting, in their order, each once and on its own.

    Each is committed with its mutation record before the next is read, so a refused one (a
    wrong field, 定稿 meanwhile) refuses only itself. A change made by another user on the phone
    stops the run: what follows waits for its author, as it would have request by request.
    Answers one result per change looked at: its item, mutation_id, status and the body its own
    request would have been answered.
    """
    results = []
    for change in changes:
        try:
            result = _record_one_of_many(assessment, change, user)
        except SQLAlchemyError as error:
            if not results:
                raise
            db.session.rollback()
            raise StoppedByDatabase(results, change, error) from error
        results.append(result)
        if result["body"].get("code") == "author":
            break
    return results


class StoppedByDatabase(Exception):
    """The database failed partway through a list of results: those answered before it were
    committed, each with its mutation record; the one it failed on and those after were not."""

    def __init__(self, results: list[dict], failed_change, error: SQLAlchemyError):
        super().__init__(str(error))
        self.results = results
        self.failed = failed_change if isinstance(failed_change, dict) else {}
        self.error = error


def _record_one_of_many(assessment: Assessment, change, user: User) -> dict:
    named = change if isinstance(change, dict) else {}
    result = {"item_id": named.get("item_id"), "mutation_id": named.get("mutation_id")}
    try:
        if not isinstance(change, dict):
            raise Refused(422, _l("Each result must be a JSON object."))
        ensure_author(change.get("author"), user)
        recorded = record_finding_once(
            assessment,
            typed_field(change, "item_id", str, ""),
            mutation_id=parse_mutation_id(change.get("mutation_id")),
            user=user,
            **finding_change(change),
        )
    except Refused as refused:
        db.session.rollback()
        return {**result, "status": refused.status, "body": error_json(refused.message, **refused.details)}
    return {**result, "status": recorded.status, "body": recorded.body}


@dataclass(frozen=True)
class Checklist:
    """What still stands between an assessment and 定稿, worked out once for the summary card,
    the 定稿 button and the server's refusal alike."""

    card: Scorecard
    unscored: list[str]
    missing_notes: list[str]
    missing_photos: list[str]
    not_applicable: list[ItemScore]

    @property
    def ready(self) -> bool:
        return not (self.unscored or self.missing_notes or self.missing_photos)

    def refusal(self) -> Refused | None:
        """The 422 that names the first thing missing, with every list for the client."""
        lists = {
            "unscored": self.unscored,
            "missing_notes": self.missing_notes,
            "missing_photos": self.missing_photos,
        }
        if self.unscored:
            message = _l("%(n)d items are not scored yet.", n=len(self.unscored))
        elif self.missing_notes:
            message = _l("%(n)d deductions or 不适用 items have no note yet.", n=len(self.missing_notes))
        elif self.missing_photos:
            message = _l(
                "%(n)d deductions have no photo and no reason why none could be taken.",
                n=len(self.missing_photos),
            )
        else:
            return None
        return Refused(422, message, **{key: value for key, value in lists.items() if value})


def finalize_checklist(assessment: Assessment, card: Scorecard | None = None) -> Checklist:
    card = card or scorecard(assessment)
    return Checklist(
        card=card,
        unscored=list(card.unscored),
        missing_notes=list(card.missing_notes),
        missing_photos=items_missing_photos(assessment, card),
        not_applicable=[s for s in card.items.values() if s.outcome.key == NOT_APPLICABLE],
    )


def finalize(assessment: Assessment, user: User) -> Scorecard:
    """Lock an assessment once its checklist is clear: every item scored, explained and photographed."""
    ensure_writable(assessment)
    if assessment.is_test:
        raise Refused(409, _l("A test walk of a draft form is never finalized."))
    checklist = finalize_checklist(assessment)
    refusal = checklist.refusal()
    if refusal is not None:
        raise refusal
    card = checklist.card
    assessment.status = FINALIZED
    assessment.finalized_at = utcnow()
    assessment.score = card.total
    dashboard.count_finalized(assessment, card, 1)
    snapshot = frozen.take(assessment)
    after = {"score": card.total, "record": snapshot}
    audit.record("assessment.finalize", assessment=assessment, after=after, user=user)
    return card


def evidence_finding(assessment: Assessment, item_id: str, user: User) -> Finding:
    """The item's finding to hang evidence on, created unscored (outcome None) if there is none yet."""
    ensure_writable(assessment)
    if rubric_of(assessment).item(item_id) is None:
        raise Refused(404, SCORING_MESSAGES["unknown_item"])
    finding = finding_of(assessment, item_id)
    if finding is None:
        finding = Finding(assessment=assessment, item_id=item_id, outcome=None, updated_by=user)
        db.session.add(finding)
    assessment.join_team(user)
    return finding


def set_no_photo_reason(assessment: Assessment, item_id: str, reason: str, user: User) -> Finding:
    """Record why a deduction has no photo; an empty reason clears it."""
    finding = evidence_finding(assessment, item_id, user)
    before = finding.no_photo_reason
    finding.no_photo_reason = _checked_no_photo_reason(reason)
    finding.updated_by = user
    finding.updated_at = utcnow()
    audit.record(
        "finding.no_photo_reason",
        assessment=assessment,
        subject=item_id,
        before={"no_photo_reason": before},
        after={"no_photo_reason": finding.no_photo_reason},
        user=user,
    )
    return finding


def _checked_no_photo_reason(reason) -> str:
    message = _l("The reason is too long (at most %(n)d characters).", n=NO_PHOTO_REASON_MAX_LENGTH)
    return checked_text(reason, NO_PHOTO_REASON_MAX_LENGTH, message, "no_photo_reason")


def items_missing_photos(assessment: Assessment, card: Scorecard) -> list[str]:
    """Deductions with neither a photo nor a written reason why no photo could be taken."""
    missing = []
    for deduction in card.deductions:
        if not deduction.problem_found:
            continue
        finding = assessment.finding_for(deduction.item.id)
        if finding is not None and not finding.photos and not finding.no_photo_reason.strip():
            missing.append(deduction.item.id)
    return missing


def reopen(assessment: Assessment, user: User, reason: str) -> None:
    """An admin unlocks a finalized assessment; the reason goes into the audit trail."""
    if not user.is_admin:
        raise Refused(403, _l("Only an administrator can reopen an assessment."))
    locks.lock(assessment)
    if not assessment.is_finalized:
        raise Refused(409, _l("This assessment is not finalized."))
    locks.lock(assessment.station)
    if db.session.scalar(
        db.select(Assessment.id).filter_by(station_id=assessment.station_id, status=IN_PROGRESS)
    ):
        raise Refused(
            409,
            _l("Another assessment of this station is in progress: finalize it before reopening this one."),
        )
    reason = (reason or "").strip()
    if not reason:
        raise Refused(422, _l("Give a reason for reopening."))
    before = {"status": assessment.status, "score": assessment.score, "record": assessment.frozen}
    dashboard.count_finalized(assessment, scorecard(assessment), -1)
    assessment.status = IN_PROGRESS
    assessment.finalized_at = None
    assessment.score = None
    assessment.frozen = None
    signoff.clear_all(assessment, user)
    shares.end_all(assessment, user, reason)
    audit.record(
        "assessment.reopen",
        assessment=assessment,
        before=before,
        after={"status": IN_PROGRESS},
        reason=reason,
        user=user,
    )
