"""The team burst against gunicorn with 3 workers, on SQLite and on PostgreSQL, bounded in time.

.venv/bin/python -m bench.load [assessors] [assessments] [seconds per database]

Assessors walk assessments in pairs (so two write the same item at about the same time), score
all 61 items, replay every fifth change with the same mutation_id, send every tenth item a photo
twice (once as a replay, once under a new mutation_id), then finalize. Printed per database:
lost changes, doubled changes or photos, 5xx answers, p50/p95 per kind of call, and the walk's
p50 at rest and while three report PDFs download. PostgreSQL needs Debian's server binaries (a
throwaway cluster is started) or TEST_DATABASE_URL.
"""

import io
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from PIL import Image

from app.extensions import db
from app.models import AuditEvent, Finding, Photo, Station, User
from tests.conftest import TEST_PASSWORD, make_test_app
from tests.databases import PostgresDatabases, SQLiteDatabases
from tests.servers import GunicornServer, HttpClient, mutation_id

WALK_SAMPLES = 40
PDF_DOWNLOADS = 3


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

    def server_errors(self) -> int:
        return sum(1 for statuses in self.statuses.values() for status in statuses if status >= 500)


def picture(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (seed * 37 % 256, 90, 140)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def upload(client: HttpClient, assessment_id: int, item_id: str, data: bytes, mutation: str):
    boundary = "benchboundary"
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


def prepare(app, assessors: int, assessments: int) -> None:
    with app.app_context():
        stations = range(assessments + 2)  # two more for the report phase
        db.session.add_all(Station(code=f"L{n:03d}", name=f"压测鉴定所{n}") for n in stations)
        for n in range(assessors):
            user = User(username=f"load{n}", display_name=f"评估员{n}", role="assessor")
            user.set_password(TEST_PASSWORD)
            db.session.add(user)
        db.session.commit()


def walk(client, assessment_id, items, calls, applied, deadline, seed):
    """Score every item, replaying every fifth change and photographing every tenth item twice."""
    url = f"/api/assessments/{assessment_id}/findings"
    for index, item_id in enumerate(items):
        if time.monotonic() > deadline:
            return
        mutation = mutation_id()
        payload = {"outcome": "full", "mutation_id": mutation}
        status, _ = calls.timed("score", lambda p=payload, i=item_id: client.json("PUT", f"{url}/{i}", p))
        if status == 200:
            applied.add(mutation)
        if index % 5 == 0:
            calls.timed("replay", lambda p=payload, i=item_id: client.json("PUT", f"{url}/{i}", p))
        if index % 10 == seed % 10:
            data, photo_mutation = picture(index), mutation_id()
            for sent in (photo_mutation, photo_mutation, mutation_id()):
                calls.timed("photo", lambda i=item_id, m=sent, d=data: upload(client, assessment_id, i, d, m))


def burst(server, items, assessors: int, assessments: int, seconds: float) -> tuple[Calls, set, list]:
    clients = [HttpClient(server.url).log_in(f"load{n}") for n in range(assessors)]
    calls, applied = Calls(), set()
    with server.app.app_context():
        stations = db.session.scalars(db.select(Station.id).order_by(Station.id)).all()
    ids = []
    for n, client in enumerate(clients):
        status, body = calls.timed(
            "start",
            lambda c=client, s=stations[n // 2 % assessments]: c.json(
                "POST", "/api/assessments", {"station_id": s}
            ),
        )
        ids.append(body["id"] if status in (200, 201) else None)
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=walk, args=(client, ids[n], items, calls, applied, deadline, n))
        for n, client in enumerate(clients)
        if ids[n] is not None
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return calls, applied, sorted({i for i in ids if i is not None})


def audit_of(app, assessment_ids):
    """(changes applied by the server, photos stored twice)."""
    with app.app_context():
        changes = db.session.scalar(
            db.select(db.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "finding.set", AuditEvent.assessment_id.in_(assessment_ids))
        )
        photos = db.session.execute(
            db.select(Photo.finding_id, Photo.sha256, db.func.count())
            .join(Finding, Photo.finding_id == Finding.id)
            .where(Finding.assessment_id.in_(assessment_ids))
            .group_by(Photo.finding_id, Photo.sha256)
        ).all()
    return changes, sum(count - 1 for _f, _s, count in photos)


def walk_p50(client, assessment_id, items, samples=WALK_SAMPLES) -> float:
    times = []
    for n in range(samples):
        payload = {"outcome": "full", "note": f"第{n}次", "mutation_id": mutation_id()}
        start = time.perf_counter()
        client.json("PUT", f"/api/assessments/{assessment_id}/findings/{items[n % len(items)]}", payload)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def during_pdf_downloads(server, items) -> tuple[float, float]:
    """The walk's p50 at rest, then while three clients download a finalized report's PDF."""
    lead, reader = HttpClient(server.url).log_in("load0"), HttpClient(server.url).log_in("load1")
    with server.app.app_context():
        station = db.session.scalar(db.select(Station.id).order_by(Station.id.desc()))
        spare = db.session.scalar(db.select(Station.id).order_by(Station.id.desc()).offset(1))
    finalized = lead.json("POST", "/api/assessments", {"station_id": station})[1]["id"]
    for item_id in items:
        lead.json("PUT", f"/api/assessments/{finalized}/findings/{item_id}", {"outcome": "full"})
    lead.json("POST", f"/api/assessments/{finalized}/finalize", {})
    walking = lead.json("POST", "/api/assessments", {"station_id": spare})[1]["id"]
    at_rest = walk_p50(lead, walking, items)
    stop = threading.Event()

    def download():
        """Download again and again, coming back when asked to (503 with Retry-After), as a browser would."""
        while not stop.is_set():
            status, headers, _body = reader.request("GET", f"/reports/assessments/{finalized}.pdf")
            if status == 503:
                stop.wait(int(headers.get("Retry-After", "1")))

    downloaders = [threading.Thread(target=download) for _ in range(PDF_DOWNLOADS)]
    for thread in downloaders:
        thread.start()
    busy = walk_p50(lead, walking, items)
    stop.set()
    for thread in downloaders:
        thread.join()
    return at_rest, busy


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(databases, assessors: int, assessments: int, seconds: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    app = make_test_app(folder, SQLALCHEMY_DATABASE_URI=databases.create(folder))
    prepare(app, assessors, assessments)
    server = GunicornServer(app, folder / "gunicorn.log").start()
    try:
        items = [
            item["id"]
            for c in HttpClient(server.url).log_in("load0").json("GET", "/api/rubric")[1]["categories"]
            for item in c["items"]
        ]
        calls, applied, ids = burst(server, items, assessors, assessments, seconds)
        changes, doubled_photos = audit_of(app, ids)
        at_rest, busy = during_pdf_downloads(server, items)
    finally:
        server.stop()
    print(f"\n{databases.dialect}: {assessors} assessors on {len(ids)} assessments, 3 gunicorn workers")
    lost, doubled = max(0, len(applied) - changes), max(0, changes - len(applied)) + doubled_photos
    print(f"  lost {lost}   doubled {doubled}   5xx {calls.server_errors()}")
    for kind, times in sorted(calls.times.items()):
        print(
            f"  {kind:<7} n={len(times):4d}  p50 {percentile(times, 0.5) * 1000:7.1f} ms"
            f"  p95 {percentile(times, 0.95) * 1000:7.1f} ms"
        )
    print(
        f"  walk p50 at rest {at_rest * 1000:.1f} ms,"
        f" during {PDF_DOWNLOADS} PDF downloads {busy * 1000:.1f} ms ({busy / at_rest:.1f}x)"
    )


def main(assessors: int = 6, assessments: int = 3, seconds: float = 60) -> None:
    for databases in (SQLiteDatabases(), PostgresDatabases()):
        try:
            run(databases, assessors, assessments, seconds)
        finally:
            databases.close()


if __name__ == "__main__":
    main(*(float(arg) if "." in arg else int(arg) for arg in sys.argv[1:]))
