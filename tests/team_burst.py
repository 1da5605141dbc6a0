"""A team's burst of writes to one assessment against a live server, and the check of every answer
against what the server kept. `tests/operations/test_team_burst.py` runs a short one as a test; `bench.load`
runs a longer one and prints its figures.

The team scores every item together, each assessor a share of the items plus a colleague's (so
two write one item at about the same time), with outcomes of every kind. Each change is sent one
to three times at the same moment under one mutation_id, and every few changes go together in one
batch POST. Then two assessors press 定稿 at the same moment while others still send changes; an
administrator reopens it while they go on; and two press 定稿 again.

What the answers said is then held against the record, change by change:
- lost: answered as saved, but no mutation row or no audit event for it;
- doubled: more than one audit event for one change, or two 定稿 with no reopen between them;
- misattributed: its mutation row or audit event names another user than the one who sent it;
- applied though refused: an audit event for a change every copy of which was refused;
- written after the lock: a change's audit event between a 定稿 and the reopen after it;
- row and trail disagree: an item's stored result is not the one its last audit event says;
- audit chain broken: the trail's hash chain does not hold after the burst;
- 5xx: any answer of 500 or more, to anything.
"""

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from app.extensions import db
from app.models import Assessment, AuditEvent, Finding, Mutation, Station, User
from app.services import audit
from tests.conftest import TEST_PASSWORD
from tests.servers import HttpClient, mutation_id, simultaneously

BATCH_EVERY = 4
BATCH_SIZE = 3
PROBLEMS = (
    "lost",
    "doubled",
    "misattributed",
    "applied though refused",
    "written after the lock",
    "row and trail disagree",
    "audit chain broken",
    "5xx",
)


@dataclass
class Change:
    mutation: str
    author_id: int
    item_id: str
    payload: dict
    answers: list = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return 200 in self.answers


class Ledger:
    """Every answer the team got, from many threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.changes: dict[str, Change] = {}
        self.statuses = defaultdict(list)
        self.times = defaultdict(list)

    def answered(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[kind].append(status)
            self.times[kind].append(seconds)

    def add(self, change: Change) -> None:
        with self.lock:
            self.changes[change.mutation] = change

    def server_errors(self) -> int:
        return sum(status >= 500 for statuses in self.statuses.values() for status in statuses)


def prepare(app, assessors: int) -> int:
    """A station, the assessors load0… and an administrator; answers the station's id."""
    with app.app_context():
        station = Station(code="BURST", name="压测鉴定所")
        db.session.add(station)
        people = [
            User(username=f"load{n}", display_name=f"评估员{n}", role="assessor") for n in range(assessors)
        ]
        people.append(User(username="loadadmin", display_name="管理员", role="admin"))
        for user in people:
            user.set_password(TEST_PASSWORD)
        db.session.add_all(people)
        db.session.commit()
        return station.id


class Assessor:
    """One logged-in member of the team, sending changes the way a phone's outbox does."""

    def __init__(self, server_url: str, username: str, ledger: Ledger):
        self.client = HttpClient(server_url, timeout=300).log_in(username)
        self.id = self.client.json("GET", "/api/me")[1]["id"]
        self.ledger = ledger
        self.batch: list[Change] = []
        rubric = self.client.json("GET", "/api/rubric")[1]
        self.items = [item for category in rubric["categories"] for item in category["items"]]
        self.outcomes = {
            item["id"]: [o["key"] for o in item["outcomes"]] if not item["inputs"] else ["full"]
            for item in self.items
        }

    def call(self, kind: str, method: str, path: str, payload=None):
        start = time.perf_counter()
        status, body = self.client.json(method, path, payload)
        self.ledger.answered(kind, status, time.perf_counter() - start)
        return status, body

    def change(self, item_id: str, number: int) -> Change:
        """A change of every kind the item offers in turn (不适用 and deductions with their note and
        the reason there is no photo), its mutation_id in its note."""
        mutation = mutation_id()
        offered = self.outcomes[item_id]
        outcome = offered[number % len(offered)]
        payload = {"outcome": outcome, "note": f"m:{mutation}"}
        if outcome != "full":
            payload["no_photo_reason"] = "考场内禁止拍照"
        change = Change(mutation, self.id, item_id, payload)
        self.ledger.add(change)
        return change

    def send(self, assessment_id: int, change: Change, copies: int) -> None:
        url = f"/api/assessments/{assessment_id}/findings/{change.item_id}"
        body = {**change.payload, "mutation_id": change.mutation, "author": self.id}
        answers = simultaneously(*[lambda: self.call("score", "PUT", url, body)] * copies)
        change.answers += [status for status, _ in answers]

    def send_together(self, assessment_id: int, changes: list[Change], copies: int) -> None:
        url = f"/api/assessments/{assessment_id}/findings"
        entries = [
            {**c.payload, "item_id": c.item_id, "mutation_id": c.mutation, "author": self.id} for c in changes
        ]
        answers = simultaneously(*[lambda: self.call("batch", "POST", url, {"findings": entries})] * copies)
        by_mutation = {c.mutation: c for c in changes}
        for status, body in answers:
            if status != 200:
                for c in changes:
                    c.answers.append(status)
                continue
            for result in body["results"]:
                by_mutation[result["mutation_id"]].answers.append(result["status"])
                self.ledger.answered("batch entry", result["status"], 0.0)

    def score(self, assessment_id: int, items: list[str], seed: int) -> None:
        """Each item once; every BATCH_EVERY-th change waits to go with others in one request."""
        for number, item_id in enumerate(items):
            change = self.change(item_id, seed + number)
            if number % BATCH_EVERY == BATCH_EVERY - 1:
                self.batch.append(change)
                if len(self.batch) == BATCH_SIZE:
                    self.flush(assessment_id, copies=1 + (seed + number) % 2)
                continue
            self.send(assessment_id, change, copies=1 + (seed + number) % 3)
        self.flush(assessment_id, copies=1)

    def flush(self, assessment_id: int, copies: int) -> None:
        if self.batch:
            self.send_together(assessment_id, self.batch, copies)
            self.batch = []

    def finalize(self, assessment_id: int) -> int:
        return self.call("finalize", "POST", f"/api/assessments/{assessment_id}/finalize", {})[0]


def shares(items: list[str], members: int, rounds: int) -> list[list[str]]:
    """Each member's items: every member a share of all items, plus the next member's first one,
    so every item is scored and some by two at about the same time; `rounds` times over."""
    own = [items[n::members] for n in range(members)]
    return [(own[n] + own[(n + 1) % members][:1]) * rounds for n in range(members)]


def reopen(admin: HttpClient, assessment_id: int, ledger: Ledger) -> int:
    form = f"reason=%E8%A1%A5%E5%85%85%E6%95%B4%E6%94%B9&csrf_token={admin.token}"
    start = time.perf_counter()
    status, _headers, _body = admin.request(
        "POST",
        f"/admin/assessments/{assessment_id}/reopen",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": admin.token},
    )
    ledger.answered("reopen", status, time.perf_counter() - start)
    return status


def run(server, station_id: int, assessors: int, rounds: int = 1) -> tuple[Ledger, int]:
    """The whole burst; answers what the team was told and the assessment's id."""
    ledger = Ledger()
    team = [Assessor(server.url, f"load{n}", ledger) for n in range(assessors)]
    started = simultaneously(
        *[lambda a=a: a.call("start", "POST", "/api/assessments", {"station_id": station_id}) for a in team]
    )
    assessment_id = started[0][1]["id"]
    items = [item["id"] for item in team[0].items]
    work = shares(items, assessors, rounds)
    simultaneously(*[lambda a=a, n=n: a.score(assessment_id, work[n], seed=n) for n, a in enumerate(team)])

    def racing_writes(numbered_from: int):
        """Three assessors go on changing items while the lock is taken or lifted."""
        return [
            lambda a=a, n=n: a.send(assessment_id, a.change(items[n], numbered_from + n), copies=2)
            for n, a in enumerate(team[:3])
        ]

    simultaneously(
        lambda: team[0].finalize(assessment_id), lambda: team[1].finalize(assessment_id), *racing_writes(0)
    )
    admin = HttpClient(server.url, timeout=300).log_in("loadadmin")
    simultaneously(lambda: reopen(admin, assessment_id, ledger), *racing_writes(10))
    simultaneously(
        lambda: team[0].finalize(assessment_id), lambda: team[1].finalize(assessment_id), *racing_writes(30)
    )
    return ledger, assessment_id


def record_of(app, assessment_id: int) -> dict:
    """What the server kept of the assessment: its audit trail in order, mutations and findings."""
    with app.app_context():
        events = db.session.execute(
            db.select(
                AuditEvent.id, AuditEvent.action, AuditEvent.user_id, AuditEvent.subject, AuditEvent.after
            )
            .where(AuditEvent.assessment_id == assessment_id)
            .order_by(AuditEvent.id)
        ).all()
        mutations = dict(db.session.execute(db.select(Mutation.id, Mutation.user_id)).all())
        findings = {
            f.item_id: (f.note, f.updated_by_id)
            for f in db.session.scalars(db.select(Finding).where(Finding.assessment_id == assessment_id))
            if f.outcome is not None
        }
        status = db.session.get(Assessment, assessment_id).status
        chain = audit.verify()
    return {"events": events, "mutations": mutations, "findings": findings, "status": status, "chain": chain}


def problems(ledger: Ledger, record: dict) -> Counter:
    """Each kind of problem in PROBLEMS, counted; all zero when the server kept its word."""
    found = Counter({problem: 0 for problem in PROBLEMS})
    trail_of = defaultdict(list)
    locked, finalizes_in_a_row, last_per_item = False, 0, {}
    for _event, action, user_id, subject, after in record["events"]:
        if action == "assessment.finalize":
            finalizes_in_a_row += 1
            found["doubled"] += finalizes_in_a_row > 1
            locked = True
        elif action == "assessment.reopen":
            finalizes_in_a_row, locked = 0, False
        elif action == "finding.set":
            note = (after or {}).get("note", "")
            trail_of[note].append(user_id)
            found["written after the lock"] += locked
            last_per_item[subject] = (note, user_id)
    for change in ledger.changes.values():
        authors = trail_of.get(f"m:{change.mutation}", [])
        if change.acknowledged:
            kept_by = record["mutations"].get(change.mutation)
            found["lost"] += kept_by is None or not authors
            found["misattributed"] += (kept_by not in (None, change.author_id)) + sum(
                a != change.author_id for a in authors
            )
        else:
            found["applied though refused"] += len(authors) > 0
        found["doubled"] += max(0, len(authors) - 1)
    found["row and trail disagree"] = sum(
        record["findings"].get(item_id) != kept for item_id, kept in last_per_item.items()
    )
    found["audit chain broken"] = int(not record["chain"].holds)
    found["5xx"] = ledger.server_errors()
    return found


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0
