"""Truly parallel requests against gunicorn with 3 workers, as production runs, on the test database."""

import threading

from tests.servers import HttpClient, mutation_id


def simultaneously(*calls):
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    return results


def test_assessors_scoring_different_items_at_once_are_all_kept(gunicorn_server, make_user, assessment_id):
    for name in ("second", "third"):
        make_user(name)
    server = gunicorn_server.start()
    clients = [HttpClient(server.url).log_in(name) for name in ("assessor", "second", "third")]
    items = ("1.1.1", "1.2.1", "1.3.1")

    answers = simultaneously(
        *(
            (
                lambda c=client, i=item: c.json(
                    "PUT",
                    f"/api/assessments/{assessment_id}/findings/{i}",
                    {"outcome": "full", "mutation_id": mutation_id()},
                )
            )
            for client, item in zip(clients, items, strict=True)
        )
    )

    assert [status for status, _body in answers] == [200, 200, 200]
    status, assessment = clients[0].json("GET", f"/api/assessments/{assessment_id}")
    assert sorted(f["item_id"] for f in assessment["findings"]) == sorted(items)
