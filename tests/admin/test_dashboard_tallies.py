"""The dashboard's daily tallies follow finalize and reopen, and a recount gives the same tallies."""

from sqlalchemy import event

from app.extensions import db
from app.models import Assessment, DailyDeduction, DailyFinalized, User
from app.services import assessments, dashboard, deadlines
from tests.admin.test_admin import finish_assessment


def tallies(app) -> tuple[list, list]:
    with app.app_context():
        finalized = db.session.execute(
            db.select(DailyFinalized.day, DailyFinalized.assessments)
            .where(DailyFinalized.assessments != 0)
            .order_by(DailyFinalized.day)
        ).all()
        deductions = db.session.execute(
            db.select(DailyDeduction.item_id, DailyDeduction.outcome, DailyDeduction.assessments)
            .where(DailyDeduction.assessments != 0)
            .order_by(DailyDeduction.item_id, DailyDeduction.outcome)
        ).all()
        return finalized, deductions


def this_year(app) -> tuple[int, list]:
    with app.test_request_context():
        period = dashboard.Period.last_twelve_months()
        finalized = dashboard.summary(period)["assessments_finalized"]
        top = [(e.item.id, e.assessments, e.deduction) for e in dashboard.top_deductions(period, finalized)]
        return finalized, top


def reopen(app, assessment_id):
    with app.app_context():
        admin = User(username="boss", display_name="Boss", role="admin")
        admin.set_password("long enough password")
        db.session.add(admin)
        assessments.reopen(db.session.get(Assessment, assessment_id), admin, "重新核对 1.1.1")
        db.session.commit()


def test_finalize_adds_to_the_tallies_and_reopen_takes_it_back(app, make_user, make_station):
    make_user("ann")
    station = make_station()
    first, _ = finish_assessment(app, station, "ann", lost=("1.1.1", "1.2.1"))
    finish_assessment(app, station, "ann", lost=("1.1.1",), outcomes={"9.1.2": "partial"})
    assert this_year(app) == (2, [("1.1.1", 2, 4), ("9.1.2", 1, 3), ("1.2.1", 1, 2)])

    reopen(app, first)
    assert this_year(app) == (1, [("9.1.2", 1, 3), ("1.1.1", 1, 2)])


def test_recount_gives_the_tallies_that_finalize_and_reopen_kept(app, make_user, make_station):
    make_user("ann")
    station = make_station()
    first, _ = finish_assessment(app, station, "ann", lost=("1.1.1", "3.1.1"))
    finish_assessment(app, station, "ann", lost=("1.1.1",), outcomes={"9.1.2": "partial"})
    reopen(app, first)
    kept = tallies(app)
    with app.app_context():
        dashboard.rebuild_tallies(db.session.connection())
        db.session.commit()
    assert tallies(app) == kept
    assert kept[1] == [("1.1.1", "zero", 1), ("9.1.2", "partial", 1)]


def query_plans(app, call) -> list[str]:
    """The database's plan of every SELECT `call` runs, one text per statement. PostgreSQL plans by
    cost, and on a test's few rows a scan costs least: there the plan is asked for with scans
    priced out, which shows whether an index can serve the query at all."""
    statements = []

    def keep(_connection, _cursor, statement, parameters, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    with app.test_request_context():
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            call()
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain, column = "EXPLAIN", 0
        else:
            explain, column = "EXPLAIN QUERY PLAN", -1
        return [
            " / ".join(row[column] for row in connection.exec_driver_sql(f"{explain} {sql}", params))
            for sql, params in statements
        ]


def test_the_overdue_count_seeks_the_deadlines_and_never_reads_every_assessment(app):
    plans = query_plans(app, lambda: deadlines.overdue_by_station(deadlines.today()))

    assert len(plans) == 1
    assert "ix_findings_rectification_due" in plans[0], plans
    assert "SCAN assessments" not in plans[0] and "ix_assessments_status (status=?)" not in plans[0], plans
    assert "Seq Scan on assessments" not in plans[0], plans
