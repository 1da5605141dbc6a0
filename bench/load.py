"""The team burst against gunicorn as production configures it, on SQLite and on PostgreSQL, and
the walk while three report PDFs are drawn. Exits non-zero when any answer was not kept as told.

.venv/bin/python -m bench.load [--assessors N] [--rounds N] [--database sqlite|postgresql]

The burst is tests/team_burst.py's, longer: a team scores one assessment together (each change
sent one to three times at once, batch posts among single PUTs, outcomes of every kind), two
press 定稿 at once while others still write, an administrator reopens it while they go on, and
two press 定稿 again. Every answer is then held against the record: lost, doubled, misattributed,
applied though refused, written after the lock, row and trail disagreeing, and any 5xx. Any of
them makes the run fail.

Then the walk's p50 at rest, and from the moment three clients start downloading the PDF of a
different finalized assessment each (30, 60 and 90 photos), finalized just before, until all
three have their PDF: the downloads find it still being drawn and are told so (202 "being
prepared") until it is ready. PostgreSQL needs Debian's server binaries (a throwaway cluster is
started) or TEST_DATABASE_URL.
"""

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from PIL import Image

from app.extensions import db
from app.models import Station, User
from app.services import assessments
from app.services.photos import attach_photo
from app.services.rubrics import rubric_of
from bench._camera import camera_jpeg
from bench.pdf_size import numbered
from tests import team_burst
from tests.conftest import make_test_app
from tests.databases import PostgresDatabases, SQLiteDatabases
from tests.servers import GunicornServer, HttpClient, mutation_id

WALK_SAMPLES = 40
REPORT_PHOTOS = (30, 60, 90)
PDF_PHASE_SECONDS = 300
DATABASES = {"sqlite": SQLiteDatabases, "postgresql": PostgresDatabases}


class Calls:
    """Status and time of every call, by kind, from many threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = {}
        self.statuses = {}

    def timed(self, kind: str, call):
        start = time.perf_counter()
        status, body = call()
        with self.lock:
            self.times.setdefault(kind, []).append(time.perf_counter() - start)
            self.statuses.setdefault(kind, []).append(status)
        return status, body

    def count(self, *statuses: int) -> int:
        return sum(1 for kind in self.statuses.values() for status in kind if status in statuses)

    def server_errors(self) -> int:
        return sum(1 for kind in self.statuses.values() for status in kind if status >= 500)


def prepare_reports(app) -> None:
    """Stations for the three reports and the walk at rest."""
    with app.app_context():
        db.session.add_all(
            Station(code=f"R{n:03d}", name=f"报告鉴定所{n}") for n in range(len(REPORT_PHOTOS) + 1)
        )
        db.session.commit()


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
            db.select(Station.id).where(Station.code.like("R%")).order_by(Station.id)
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


def run(databases, assessors: int, rounds: int) -> int:
    """One database's run, its figures printed; answers how many problems the burst found."""
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    app = make_test_app(folder, SQLALCHEMY_DATABASE_URI=databases.create(folder))
    station_id = team_burst.prepare(app, assessors)
    prepare_reports(app)
    server = GunicornServer(app, folder / "gunicorn.log").start(workers=None)
    try:
        started = time.perf_counter()
        ledger, assessment_id = team_burst.run(server, station_id, assessors, rounds)
        burst_seconds = time.perf_counter() - started
        found = team_burst.problems(ledger, team_burst.record_of(app, assessment_id))
        items = [
            item["id"]
            for item in HttpClient(server.url)
            .log_in("load0")
            .json("GET", "/api/rubric")[1]["categories"][0]["items"]
        ]
        pdfs = during_pdf_downloads(server, items)
        workers = server.configured_workers()
    finally:
        server.stop()
    print(
        f"\n{databases.dialect}: {assessors} assessors on one assessment, {rounds} rounds,"
        f" {workers} gunicorn workers"
    )
    print("  " + "   ".join(f"{problem} {found[problem]}" for problem in team_burst.PROBLEMS))
    saved = sum(change.acknowledged for change in ledger.changes.values())
    finalizes, reopens = Counter(ledger.statuses["finalize"]), Counter(ledger.statuses["reopen"])
    print(
        f"  {len(ledger.changes)} changes ({saved} saved) in {burst_seconds:.0f} s;"
        f" 定稿 answers {dict(finalizes)}, reopen {dict(reopens)}"
    )
    for kind, times in sorted(ledger.times.items()):
        if kind == "batch entry":
            continue
        print(
            f"  {kind:<9} n={len(times):4d}  p50 {team_burst.percentile(times, 0.5) * 1000:7.1f} ms"
            f"  p95 {team_burst.percentile(times, 0.95) * 1000:7.1f} ms"
            f"   answers {dict(Counter(ledger.statuses[kind]))}"
        )
    downloads = pdfs["downloads"]
    waits = ", ".join(f"{seconds:.0f} s" for seconds in sorted(pdfs["first PDF"].values())) or "none"
    at_rest, busy = pdfs["at rest"], pdfs["busy"]
    print(
        f"  walk p50 at rest {at_rest * 1000:.1f} ms, during 3 PDF downloads {busy * 1000:.1f} ms"
        f" ({busy / at_rest:.1f}x); PDF answers {dict(Counter(downloads.statuses['pdf']))}"
        f" (5xx: {downloads.server_errors()}); first PDF after {waits}"
    )
    return sum(found.values()) + downloads.server_errors()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m bench.load")
    parser.add_argument("--assessors", type=int, default=12, help="the team's size (default 12)")
    parser.add_argument("--rounds", type=int, default=2, help="times each assessor goes over their items")
    parser.add_argument("--database", choices=sorted(DATABASES), action="append", help="default: both")
    options = parser.parse_args(argv)
    failed = 0
    for name in options.database or ["sqlite", "postgresql"]:
        databases = DATABASES[name]()
        try:
            failed += run(databases, options.assessors, options.rounds)
        finally:
            databases.close()
    print(f"\n{'FAILED' if failed else 'OK'}: {failed} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
