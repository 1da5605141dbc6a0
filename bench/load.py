"""The team burst against gunicorn with 3 workers, on SQLite and on PostgreSQL, bounded in time.

.venv/bin/python -m bench.load [assessors] [assessments] [seconds per database]

Assessors walk assessments in pairs, both scoring all 61 items, so two write the same item at
about the same time. Every fifth change is sent twice at the same moment with the same
mutation_id (threads released by a barrier); every tenth item gets a picture sent three times at
the same moment (twice under one mutation_id, once under another); at the end both assessors of a
pair press 定稿 at the same moment. Each change carries its mutation id in its note, so every
answer is matched to its own audit event or stored row afterwards:

- lost: answered as saved, but no audit event (or photo, or finalize) for it;
- doubled: more than one audit event for one mutation, more than one stored photo for one
  picture, more than one finalize of one assessment;
- applied though refused: an audit event for a change the client was told failed.

Then the walk's p50 at rest, and from the moment three clients start downloading the PDF of a
different finalized assessment each (30, 60 and 90 photos), finalized just before, until all
three have their PDF: the downloads find it still being drawn, and are told so (202 "being
prepared", counted, as are 503s) until it is ready. PostgreSQL
needs Debian's server binaries (a throwaway cluster is started) or TEST_DATABASE_URL.
"""

import io
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from PIL import Image

from app.extensions import db
from app.models import FINALIZED, Assessment, AuditEvent, Finding, Photo, Station, User
from app.services import assessments
from app.services.photos import attach_photo
from app.services.rubrics import rubric_of
from bench._camera import camera_jpeg
from bench.pdf_size import numbered
from tests.conftest import TEST_PASSWORD, make_test_app
from tests.databases import PostgresDatabases, SQLiteDatabases
from tests.servers import GunicornServer, HttpClient, mutation_id
from tests.test_concurrency import simultaneously

WALK_SAMPLES = 40
REPORT_PHOTOS = (30, 60, 90)
PDF_PHASE_SECONDS = 300
REPLAY_EVERY = 5
PHOTO_EVERY = 10


class Calls:
    """Status and time of every call, by kind, from many threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.statuses = defaultdict(list)

    def timed(self, kind: str, call):
        start = time.perf_counter()
        status, body = call()
        with self.lock:
            self.times[kind].append(time.perf_counter() - start)
            self.statuses[kind].append(status)
        return status, body

    def count(self, *statuses: int) -> int:
        return sum(1 for kind in self.statuses.values() for status in kind if status in statuses)

    def server_errors(self) -> int:
        return sum(1 for kind in self.statuses.values() for status in kind if status >= 500)


class Ledger:
    """What each client was told about each mutation, to match against the record afterwards."""

    def __init__(self):
        self.lock = threading.Lock()
        self.changes = {}  # mutation id -> True when answered 200
        self.pictures = defaultdict(list)  # (assessment, item) -> statuses of its three sends
        self.finalizes = defaultdict(list)  # assessment -> statuses of its pair of 定稿

    def change(self, mutation: str, saved: bool) -> None:
        with self.lock:
            self.changes[mutation] = self.changes.get(mutation, False) or saved


def picture(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (seed * 37 % 256, seed * 11 % 256, 140)).save(
        out, format="JPEG", quality=85
    )
    return out.getvalue()


def upload(client: HttpClient, assessment_id: int, item_id: str, data: bytes, mutation: str):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="mutation_id"\r\n\r\n{mutation}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": client.token}
    status, _headers, raw = client.request(
        "POST", f"/api/assessments/{assessment_id}/findings/{item_id}/photos", body, headers
    )
    return status, raw


def prepare(app, assessors: int, assessments_: int) -> None:
    with app.app_context():
        stations = range(assessments_ + len(REPORT_PHOTOS) + 1)  # the reports and the walk at rest
        db.session.add_all(Station(code=f"L{n:03d}", name=f"压测鉴定所{n}") for n in stations)
        for n in range(assessors):
            user = User(username=f"load{n}", display_name=f"评估员{n}", role="assessor")
            user.set_password(TEST_PASSWORD)
            db.session.add(user)
        db.session.commit()


def score(client, calls, ledger, assessment_id, item_id, replayed: bool) -> None:
    """One change, its mutation id in its note; a replayed one is sent twice at the same moment."""
    mutation = mutation_id()
    payload = {"outcome": "full", "note": f"m:{mutation}", "mutation_id": mutation}
    url = f"/api/assessments/{assessment_id}/findings/{item_id}"

    def send():
        return calls.timed("score", lambda: client.json("PUT", url, payload))

    answers = simultaneously(send, send) if replayed else [send()]
    ledger.change(mutation, any(status == 200 for status, _ in answers))


def photograph(client, calls, assessment_id, item_id, seed, ledger) -> None:
    """The same picture three times at the same moment: twice as one mutation, once as another."""
    data, same = picture(seed), mutation_id()
    sends = [same, same, mutation_id()]
    answers = simultaneously(
        *(
            lambda m=m: calls.timed("photo", lambda: upload(client, assessment_id, item_id, data, m))
            for m in sends
        )
    )
    with ledger.lock:
        ledger.pictures[assessment_id, item_id].extend(status for status, _ in answers)


def walk(client, calls, ledger, assessment_id, items, deadline, seed, pair: threading.Barrier) -> None:
    """Score every item (replays and pictures as the module says), then 定稿 with the partner."""
    for index, item_id in enumerate(items):
        if time.monotonic() > deadline:
            break
        score(
            client,
            calls,
            ledger,
            assessment_id,
            item_id,
            replayed=index % REPLAY_EVERY == seed % REPLAY_EVERY,
        )
        if index % PHOTO_EVERY == seed % PHOTO_EVERY:
            photograph(client, calls, assessment_id, item_id, seed * 100 + index, ledger)
    pair.wait()
    status, _ = calls.timed(
        "finalize", lambda: client.json("POST", f"/api/assessments/{assessment_id}/finalize", {})
    )
    with ledger.lock:
        ledger.finalizes[assessment_id].append(status)


def burst(server, items, assessors: int, assessments_: int, seconds: float) -> tuple[Calls, Ledger, list]:
    clients = [HttpClient(server.url).log_in(f"load{n}") for n in range(assessors)]
    calls, ledger = Calls(), Ledger()
    with server.app.app_context():
        stations = db.session.scalars(db.select(Station.id).order_by(Station.id)).all()
    pairs = [clients[n : n + 2] for n in range(0, assessors, 2)]
    deadline = time.monotonic() + seconds
    threads, ids = [], []
    for number, pair in enumerate(pairs):
        start = {"station_id": stations[number % assessments_]}
        answers = simultaneously(
            *(
                lambda c=client, s=start: calls.timed("start", lambda: c.json("POST", "/api/assessments", s))
                for client in pair
            )
        )
        assessment_id = answers[0][1]["id"]
        ids.append(assessment_id)
        partners = threading.Barrier(len(pair))
        threads += [
            threading.Thread(
                target=walk,
                args=(client, calls, ledger, assessment_id, items, deadline, 2 * number + n, partners),
            )
            for n, client in enumerate(pair)
        ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return calls, ledger, sorted(set(ids))


def record_of(app, assessment_ids) -> dict:
    """What the server kept: finding.set events by mutation, photos per item, finalizes, totals."""
    with app.app_context():
        notes = Counter(
            (after or {}).get("note", "")
            for after in db.session.scalars(
                db.select(AuditEvent.after).where(
                    AuditEvent.action == "finding.set", AuditEvent.assessment_id.in_(assessment_ids)
                )
            )
        )
        photos = Counter(
            db.session.execute(
                db.select(Finding.assessment_id, Finding.item_id)
                .join(Photo, Photo.finding_id == Finding.id)
                .where(Finding.assessment_id.in_(assessment_ids))
            ).all()
        )
        finalizes = Counter(
            db.session.scalars(
                db.select(AuditEvent.assessment_id).where(
                    AuditEvent.action == "assessment.finalize", AuditEvent.assessment_id.in_(assessment_ids)
                )
            )
        )
        wrong_totals = sum(
            1
            for assessment in db.session.scalars(
                db.select(Assessment).where(Assessment.id.in_(assessment_ids))
            )
            if assessment.status == FINALIZED and assessment.score != assessments.scorecard(assessment).total
        )
    return {"notes": notes, "photos": photos, "finalizes": finalizes, "wrong_totals": wrong_totals}


def tally(ledger: Ledger, record: dict) -> Counter:
    """Lost, doubled and applied-though-refused, each counted on its own."""
    found = Counter()
    for mutation, saved in ledger.changes.items():
        events = record["notes"][f"m:{mutation}"]
        found["lost"] += saved and events == 0
        found["doubled"] += events > 1
        found["applied though refused"] += not saved and events > 0
    for key, statuses in ledger.pictures.items():
        stored = record["photos"][key]
        saved = any(status in (200, 201) for status in statuses)
        found["lost"] += saved and stored == 0
        found["doubled"] += max(0, stored - 1)
        found["applied though refused"] += not saved and stored > 0
    for assessment_id, statuses in ledger.finalizes.items():
        kept = record["finalizes"][assessment_id]
        found["lost"] += 200 in statuses and kept == 0
        found["doubled"] += max(0, kept - 1)
        found["applied though refused"] += 200 not in statuses and kept > 0
    found["stored total differs from findings"] = record["wrong_totals"]
    return found


def walk_p50(client, assessment_id, items, samples=WALK_SAMPLES, until=None) -> float:
    """The p50 of `samples` walk changes, or of as many as are made until `until` is set."""
    times = []
    while len(times) < samples or (until is not None and not until.is_set()):
        payload = {"outcome": "full", "note": f"第{len(times)}次", "mutation_id": mutation_id()}
        item_id = items[len(times) % len(items)]
        start = time.perf_counter()
        client.json("PUT", f"/api/assessments/{assessment_id}/findings/{item_id}", payload)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report_with_photos(app, station_id: int, count: int) -> int:
    """A fully scored assessment with `count` different camera-like photos, ready for 定稿."""
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="load0"))
        assessment = assessments.start_assessment(db.session.get(Station, station_id), user)
        items = rubric_of(assessment).items
        for item in items:
            assessments.record_finding(assessment, item.id, outcome="full", inputs=None, note="", user=user)
        base = Image.open(io.BytesIO(camera_jpeg((2048, 1536), quality=85)))
        for n in range(count):
            attach_photo(
                assessment, items[n % len(items)].id, numbered(base, n), user=user, caption=f"照片 {n + 1}"
            )
        db.session.commit()
        return assessment.id


def during_pdf_downloads(server, items) -> dict:
    """The walk's p50 at rest, then while three clients each download a different report's PDF,
    finalized just before; a download told "being prepared" (202) comes back after Retry-After."""
    with server.app.app_context():
        spare, *stations = db.session.scalars(
            db.select(Station.id).order_by(Station.id.desc()).limit(len(REPORT_PHOTOS) + 1)
        ).all()
    reports = [report_with_photos(server.app, s, n) for s, n in zip(stations, REPORT_PHOTOS, strict=True)]
    lead = HttpClient(server.url).log_in("load0")
    walking = lead.json("POST", "/api/assessments", {"station_id": spare})[1]["id"]
    at_rest = walk_p50(lead, walking, items)
    # Logged in one after another: logins of one user at the same moment are not what this measures.
    clients = [HttpClient(server.url, timeout=PDF_PHASE_SECONDS).log_in("load1") for _ in reports]
    for report in reports:
        status, body = lead.json("POST", f"/api/assessments/{report}/finalize", {})
        assert status == 200, body
    downloads, first_pdf = Calls(), {}
    deadline = time.monotonic() + PDF_PHASE_SECONDS
    started = time.perf_counter()

    def download(report: int, reader: HttpClient):
        """Until the PDF comes; told "being prepared" (202) or busy (503), back a second later."""
        url = f"/reports/assessments/{report}.pdf"
        while time.monotonic() < deadline:
            status, _headers = downloads.timed("pdf", lambda: reader.request("GET", url)[:2])
            if status == 200:
                first_pdf[report] = time.perf_counter() - started
                return
            time.sleep(1)

    downloaded = threading.Event()

    def download_all():
        readers = [
            threading.Thread(target=download, args=(report, client))
            for report, client in zip(reports, clients, strict=True)
        ]
        for thread in readers:
            thread.start()
        for thread in readers:
            thread.join()
        downloaded.set()

    threading.Thread(target=download_all).start()
    busy = walk_p50(lead, walking, items, until=downloaded)
    return {"at rest": at_rest, "busy": busy, "downloads": downloads, "first PDF": first_pdf}


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(databases, assessors: int, assessments_: int, seconds: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    app = make_test_app(folder, SQLALCHEMY_DATABASE_URI=databases.create(folder))
    prepare(app, assessors, assessments_)
    server = GunicornServer(app, folder / "gunicorn.log").start()
    try:
        items = [
            item["id"]
            for c in HttpClient(server.url).log_in("load0").json("GET", "/api/rubric")[1]["categories"]
            for item in c["items"]
        ]
        calls, ledger, ids = burst(server, items, assessors, assessments_, seconds)
        found = tally(ledger, record_of(app, ids))
        pdfs = during_pdf_downloads(server, items)
    finally:
        server.stop()
    print(
        f"\n{databases.dialect}: {assessors} assessors in pairs on {len(ids)} assessments, 3 gunicorn workers"
    )
    print(
        f"  lost {found['lost']}   doubled {found['doubled']}   5xx {calls.server_errors()}"
        f"   applied though refused {found['applied though refused']}"
        f"   stored total differs {found['stored total differs from findings']}"
    )
    finalized = sum(200 in statuses for statuses in ledger.finalizes.values())
    answers = dict(Counter(status for statuses in ledger.finalizes.values() for status in statuses))
    print(f"  定稿 at once: {len(ledger.finalizes)} assessments, {finalized} finalized, answers {answers}")
    for kind, times in sorted(calls.times.items()):
        print(
            f"  {kind:<9} n={len(times):4d}  p50 {percentile(times, 0.5) * 1000:7.1f} ms"
            f"  p95 {percentile(times, 0.95) * 1000:7.1f} ms   answers {dict(Counter(calls.statuses[kind]))}"
        )
    downloads = pdfs["downloads"]
    waits = ", ".join(f"{seconds:.0f} s" for seconds in sorted(pdfs["first PDF"].values())) or "none"
    at_rest, busy = pdfs["at rest"], pdfs["busy"]
    print(
        f"  walk p50 at rest {at_rest * 1000:.1f} ms, during 3 PDF downloads {busy * 1000:.1f} ms"
        f" ({busy / at_rest:.1f}x); PDF answers {dict(Counter(downloads.statuses['pdf']))}"
        f" (503: {downloads.count(503)}, 5xx: {downloads.server_errors()}); first PDF after {waits}"
    )


def main(assessors: int = 6, assessments_: int = 3, seconds: float = 60) -> None:
    for databases in (SQLiteDatabases(), PostgresDatabases()):
        try:
            run(databases, assessors, assessments_, seconds)
        finally:
            databases.close()


if __name__ == "__main__":
    main(*(float(arg) if "." in arg else int(arg) for arg in sys.argv[1:]))
