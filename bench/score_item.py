"""Time scoring one item (the htmx request the walk sends) against a bare Flask route, same run.

.venv/bin/python -m bench.score_item [requests]
"""

import statistics
import sys
import time

from bench._app import demo_app, logged_in

HTMX = {"HX-Request": "true", "HX-Trigger-Name": "outcome", "HX-Target": "item"}


def timed(call, count: int) -> list[float]:
    samples = []
    for i in range(count):
        start = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def describe(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{name:<34} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    return median


def main(count: int = 300) -> None:
    app = demo_app()
    app.add_url_rule("/bare", "bare", lambda: "ok")
    auth = logged_in(app)
    client = auth.client
    assessment_url = (
        client.get("/assess/").get_data(as_text=True).split('href="/assess/', 1)[1].split("/", 1)[0]
    )
    item_url = f"/assess/{assessment_url}/items/1.1.1"
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
            f"/api/assessments/{assessment_url}/findings/1.2.1", {"outcome": outcomes[i % 2], "note": "bench"}
        )
        assert response.status_code == 200, response.status_code

    def bare(_i):
        assert client.get("/bare").status_code == 200

    for call in (score, api_score, bare):
        timed(call, 20)
    bare_ms = describe("bare Flask route", timed(bare, count))
    walk_ms = describe("score an item (htmx fragment)", timed(score, count))
    api_ms = describe("score an item (JSON API)", timed(api_score, count))
    fragment = client.post(
        item_url, data={"csrf_token": auth.token, "outcome": "full"}, headers=HTMX
    ).get_data()
    print(f"ratio walk/bare {walk_ms / bare_ms:.1f}x   api/bare {api_ms / bare_ms:.1f}x")
    print(f"fragment swapped per tap: {len(fragment)} bytes")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
