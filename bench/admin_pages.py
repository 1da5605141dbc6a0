"""Time the admin dashboard and lists on a national-sized database, against a bare Flask route.

    .venv/bin/python -m bench.admin_pages [stations] [assessments] [requests]

BENCH_ADMIN_DB=path keeps the filled database in that file and, when it exists, times it again
without filling it (the fill takes many minutes).

Fills a fresh SQLite file with ~3,000 stations and ~100,000 finalized assessments (61 findings
each, deductions skewed towards some items, spread over three years), recounts the dashboard's
daily tallies as a migration would, then prints the median time of each page over several
requests through the Flask test client.
"""

import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta

from app import create_app
from app.extensions import db
from app.models import FINALIZED, IN_PROGRESS, User, utcnow
from app.services.dashboard import rebuild_tallies
from app.services.rubrics import active_rubric
from tests.conftest import Auth, TestConfig

BENCH_PASSWORD = "bench-password"
CHUNK = 5000  # assessments per batch of inserts, so 6 million findings never sit in memory at once
CITIES = ["北京", "上海", "广州", "成都", "武汉", "西安", "南京", "沈阳", "昆明", "兰州"]
TRADES = ["机电", "烹饪", "电子信息", "建筑", "交通", "化工", "纺织", "医药"]


def fill(app, stations: int, assessments: int, seed: int = 1, in_progress: int = 100) -> None:
    """Bulk-insert stations, assessors and finalized assessments with findings into app's database."""
    rng = random.Random(seed)
    with app.app_context():
        rubric = active_rubric()
        items = rubric.items
        # Some items lose points far more often than others, as in real inspections.
        weights = {item.id: rng.choice([0.005, 0.01, 0.02, 0.05, 0.15, 0.3]) for item in items}
        admin = User(username="benchadmin", display_name="管理员", role="admin")
        admin.set_password(BENCH_PASSWORD)
        db.session.add(admin)
        db.session.commit()
        connection = db.engine.raw_connection()
        cursor = connection.cursor()
        now = utcnow()
        root = admin.region_id  # the root region, which the first account brings
        cursor.executemany(
            "INSERT INTO users (username, display_name, password_hash, role, region_id, active, created_at) "
            "VALUES (?, ?, ?, 'assessor', ?, 1, ?)",
            [(f"assessor{n:03d}", f"评估员{n:03d}", admin.password_hash, root, now) for n in range(1, 61)],
        )
        assessor_ids = [row[0] for row in cursor.execute("SELECT id FROM users WHERE role = 'assessor'")]
        cursor.executemany(
            "INSERT INTO stations (code, name, address, contact, region_id, active, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    f"S{n:05d}",
                    f"{rng.choice(CITIES)}市{rng.choice(TRADES)}行业第{n}职业技能鉴定站",
                    f"{rng.choice(CITIES)}市人民路 {n} 号",
                    f"联系人{n} 010-{n:08d}",
                    root,
                    1 if n % 50 else 0,
                    now,
                )
                for n in range(1, stations + 1)
            ],
        )
        station_ids = [row[0] for row in cursor.execute("SELECT id FROM stations")]
        quality = {sid: rng.uniform(0.3, 1.8) for sid in station_ids}
        assessment_rows, finding_rows, team_rows = [], [], []
        next_id = cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM assessments").fetchone()[0]
        for n in range(assessments + in_progress):
            if len(assessment_rows) == CHUNK:
                insert(cursor, assessment_rows, team_rows, finding_rows)
                assessment_rows, finding_rows, team_rows = [], [], []
            station_id = station_ids[n % len(station_ids)]
            assessor_id = rng.choice(assessor_ids)
            finalized = n < assessments
            started = now - timedelta(days=rng.uniform(0, 3 * 365))
            total = 0
            for item in items:
                outcome = item.outcome("full")
                if rng.random() < weights[item.id] * quality[station_id]:
                    losing = [
                        o for o in item.outcomes if o.points < item.points and o.key != "not_applicable"
                    ]
                    outcome = rng.choice(losing)
                total += outcome.points
                finding_rows.append((next_id, item.id, outcome.key, "", assessor_id, started, started))
            assessment_rows.append(
                (
                    next_id,
                    station_id,
                    rubric.id,
                    rubric.version,
                    FINALIZED if finalized else IN_PROGRESS,
                    assessor_id,
                    started,
                    started + timedelta(hours=5) if finalized else None,
                    total if finalized else None,
                )
            )
            team_rows.append((next_id, assessor_id))
            next_id += 1
        insert(cursor, assessment_rows, team_rows, finding_rows)
        connection.commit()
        connection.close()
        rebuild_tallies(db.session.connection())
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def insert(cursor, assessment_rows, team_rows, finding_rows) -> None:
    cursor.executemany(
        "INSERT INTO assessments (id, station_id, rubric_id, rubric_version, status, lead_assessor_id, "
        "started_at, finalized_at, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        assessment_rows,
    )
    cursor.executemany("INSERT INTO assessment_team (assessment_id, user_id) VALUES (?, ?)", team_rows)
    cursor.executemany(
        "INSERT INTO findings "
        "(assessment_id, item_id, outcome, note, updated_by_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        finding_rows,
    )


def median_ms(client, url: str, count: int, headers=None) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds; CPU time leaves out waiting for a busy machine."""
    samples, cpu = [], []
    for _ in range(count + 1):
        start, cpu_start = time.perf_counter(), time.thread_time()
        response = client.get(url, headers=headers or {})
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - cpu_start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples[1:]), statistics.median(cpu[1:])


def main(stations: int = 3000, assessments: int = 100_000, count: int = 7) -> None:
    logging.getLogger("app.requests").handlers = [logging.NullHandler()]
    folder = tempfile.mkdtemp(prefix="bench-admin-")
    path = os.environ.get("BENCH_ADMIN_DB") or f"{folder}/bench.db"
    filled = os.path.exists(path)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", UPLOAD_DIR=folder)
    app.add_url_rule("/bare", "bare", lambda: "ok")
    if not filled:
        with app.app_context():
            db.create_all()
        started = time.perf_counter()
        fill(app, stations, assessments)
        print(
            f"filled {stations} stations, {assessments} finalized assessments, "
            f"{assessments * 61:,} findings in {time.perf_counter() - started:.1f} s"
        )
    auth = Auth(app.test_client())
    auth.login("benchadmin", BENCH_PASSWORD)
    client = auth.client
    today = utcnow().date()
    pages = [
        ("dashboard, last 12 months", "/admin/", None),
        ("dashboard, 3 years", f"/admin/?start={today - timedelta(days=3 * 365 + 1)}&end={today}", None),
        ("dashboard stations, page 50 (htmx)", "/admin/?order=highest&page=50", {"HX-Request": "true"}),
        ("stations, page 1", "/admin/stations", None),
        ("stations, search, page 3", "/admin/stations?q=%E5%8C%97%E4%BA%AC&page=3", None),
        ("users", "/admin/users", None),
        ("assessments, page 1", "/admin/assessments", None),
        ("assessments, page 500", "/admin/assessments?page=500", None),
        (
            "assessments, filtered",
            f"/admin/assessments?status=finalized&assessor=5&start={today.replace(year=today.year - 1)}",
            None,
        ),
        ("assessments, one station", "/admin/assessments?station=S01234", None),
    ]
    baseline, baseline_cpu = median_ms(client, "/bare", count * 5)
    print(f"{'page':<38} {'wall ms':>9} {'CPU ms':>9} {'x bare (CPU)':>13}")
    print(f"{'bare Flask route':<38} {baseline:9.2f} {baseline_cpu:9.2f}")
    for name, url, headers in pages:
        ms, cpu_ms = median_ms(client, url, count, headers)
        print(f"{name:<38} {ms:9.2f} {cpu_ms:9.2f} {cpu_ms / baseline_cpu:13.0f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
