"""A team of twelve writing one assessment at once, against gunicorn as production configures it:
every answer is held against what the server kept (tests/team_burst.py says how)."""

from collections import Counter

from tests import team_burst
from tests.servers import GunicornServer

TEAM = 12


def test_a_team_of_twelve_writing_one_assessment_at_once_loses_doubles_and_misattributes_nothing(
    app, tmp_path
):
    station_id = team_burst.prepare(app, TEAM)
    server = GunicornServer(app, tmp_path / "gunicorn.log").start(workers=None)
    try:
        ledger, assessment_id = team_burst.run(server, station_id, TEAM)
    finally:
        server.stop()
    record = team_burst.record_of(app, assessment_id)

    answers = {kind: dict(Counter(statuses)) for kind, statuses in ledger.statuses.items()}
    assert team_burst.problems(ledger, record) == {problem: 0 for problem in team_burst.PROBLEMS}, answers
    assert record["status"] == "finalized"
    assert sum(c.acknowledged for c in ledger.changes.values()) >= 61
    assert set(ledger.statuses["finalize"]) <= {200, 409}
    assert 200 in ledger.statuses["reopen"] or 302 in ledger.statuses["reopen"]
