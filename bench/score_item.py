"""Time scoring one item (the htmx request the walk sends, and the JSON API) against a bare Flask
route: same run, same client, the three requests interleaved so that a busy machine slows all
three alike. Prints the median and p95 of each, the ratios and the SQL statements per request.
The CPU time of the serving thread is printed too: unlike the wall clock it leaves out the time
spent waiting for a core or the disk, so it stays comparable on a busy machine.

.venv/bin/python -m bench.score_item [requests]
"""

import statistics
import sys
import time
import uuid

from sqlalchemy import event

from app.extensions import db
from app.models import IN_PROGRESS, Assessment
from bench._app import demo_app, logged_in

HTMX = {"HX-Request": "true", "HX-Trigger-Name": "outcome", "HX-Target": "item"}


def describe(name: str, samples: list[float], cpu: list[float]) -> tuple[float, float]:
    median, cpu_median = statistics.median(samples), statistics.median(cpu)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{name:<34} median {median:7.2f} ms   p95 {p95:7.2f} ms   CPU median {cpu_median:7.2f} ms")
    return median, cpu_median


# The goals, as ratios to a bare Flask route measured in the same run.
WALK_GOAL = 8
API_GOAL = 5


def main(count: int = 300) -> int:
    app = demo_app()
    app.add_url_rule("/bare", "bare", lambda: "ok")
    auth = logged_in(app)
    client = auth.client
    with app.app_context():
        assessment_id = db.session.scalar(db.select(Assessment.id).filter_by(status=IN_PROGRESS))
    item_url = f"/assess/{assessment_id}/items/1.1.1"
    outcomes = ["full", "zero"]

    def score(i):
        response = client.post(
            item_url,
            data={"csrf_token": auth.token, "outcome": outcomes[i % 2], "note": "bench"},
            headers=HTMX,
        )
        assert response.status_code == 200, response.status_code

    def api_score(i):
        response = auth.put_json(
            f"/api/assessments/{assessment_id}/findings/1.2.1",
            {"outcome": outcomes[i % 2], "note": "bench", "mutation_id": str(uuid.uuid4())},
        )
        assert response.status_code == 200, response.status_code

    def bare(_i):
        assert client.get("/bare").status_code == 200

    calls = {
        "bare Flask route": bare,
        "score an item (htmx fragment)": score,
        "score an item (JSON API)": api_score,
    }
    samples = {name: [] for name in calls}
    cpu = {name: [] for name in calls}
    statements = {name: 0 for name in calls}
    for i in range(20):
        for call in calls.values():
            call(i)
    counting = [None]

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args):
        if counting[0]:
            statements[counting[0]] += 1

    for i in range(count):
        for name, call in calls.items():
            counting[0] = name
            start, cpu_start = time.perf_counter(), time.thread_time()
            call(i)
            samples[name].append((time.perf_counter() - start) * 1000)
            cpu[name].append((time.thread_time() - cpu_start) * 1000)
    counting[0] = None
    medians = {name: describe(name, samples[name], cpu[name]) for name in calls}
    (bare_ms, bare_cpu), (walk_ms, walk_cpu), (api_ms, api_cpu) = medians.values()
    print(
        f"ratio walk/bare {walk_ms / bare_ms:.1f}x   api/bare {api_ms / bare_ms:.1f}x   (wall-clock medians)"
    )
    print(f"ratio walk/bare {walk_cpu / bare_cpu:.1f}x   api/bare {api_cpu / bare_cpu:.1f}x   (CPU-time)")
    print("SQL statements per request: " + ", ".join(f"{n} {statements[n] / count:.0f}" for n in calls))
    fragment = client.post(
        item_url, data={"csrf_token": auth.token, "outcome": "full"}, headers=HTMX
    ).get_data()
    print(f"fragment swapped per tap: {len(fragment)} bytes")
    missed = walk_ms / bare_ms > WALK_GOAL or api_ms / bare_ms > API_GOAL
    verdict = "MISSED" if missed else "met"
    print(f"goal walk ≤ {WALK_GOAL:g}x and API ≤ {API_GOAL:g}x the bare route (wall-clock): {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
