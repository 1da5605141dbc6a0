"""The audit trail is a chain: an event changed or removed in the database directly is caught,
by `flask audit verify` and on the administrator's audit page."""

import uuid

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from app.models import AppendOnlyError, AuditChainHead, AuditEvent
from app.services import audit
from tests import databases
from tests.conftest import TestConfig


def score(assessor, assessment_id, item_id, outcome="full", note=""):
    answer = assessor.put_json(
        f"/api/assessments/{assessment_id}/findings/{item_id}",
        {"outcome": outcome, "note": note, "mutation_id": str(uuid.uuid4())},
    )
    assert answer.status_code == 200


def raw(app, statement: str, **values) -> None:
    """A change made past the app, as an operator with database access could."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as connection:
        connection.execute(text(statement), values)
    engine.dispose()


def verified(app):
    with app.app_context():
        return audit.verify()


def test_every_event_is_linked_in_the_order_it_was_written(app, assessor, assessment_id):
    score(assessor, assessment_id, "1.1.1")
    score(assessor, assessment_id, "1.2.1", "zero", "无台账")

    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
        head = db.session.get(AuditChainHead, audit.HEAD_ID)
        assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))
        assert (head.seq, head.hash) == (len(events), events[-1].chain_hash)
    report = verified(app)
    assert report.holds and report.events == len(events)


def test_an_event_edited_in_the_database_is_named(app, runner, assessor, assessment_id):
    score(assessor, assessment_id, "1.1.1", "zero", "无台账")
    score(assessor, assessment_id, "1.2.1")
    with app.app_context():
        edited = db.session.scalar(db.select(AuditEvent).filter_by(action="finding.set", subject="1.1.1"))
    raw(
        app,
        "UPDATE audit_events SET after = :after WHERE id = :id",
        after='{"outcome": "full"}',
        id=edited.id,
    )

    report = verified(app)
    result = runner.invoke(args=["audit", "verify"])

    assert not report.holds and report.broken_at == edited.id
    assert result.exit_code == 1
    assert f"event #{edited.id}" in result.output


def test_an_event_removed_from_the_database_is_caught(app, runner, assessor, assessment_id):
    score(assessor, assessment_id, "1.1.1")
    score(assessor, assessment_id, "1.2.1")
    with app.app_context():
        removed = db.session.scalar(db.select(AuditEvent).filter_by(action="finding.set", subject="1.1.1"))
    raw(app, "DELETE FROM audit_events WHERE id = :id", id=removed.id)

    assert not verified(app).holds
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_an_edit_that_also_rewrites_the_hash_breaks_the_next_link(app, assessor, assessment_id):
    score(assessor, assessment_id, "1.1.1", "zero", "无台账")
    score(assessor, assessment_id, "1.2.1")
    with app.app_context():
        edited = db.session.scalar(db.select(AuditEvent).filter_by(action="finding.set", subject="1.1.1"))
        previous = db.session.scalar(
            db.select(AuditEvent.chain_hash).filter_by(chain_seq=edited.chain_seq - 1)
        )
        as_forged = AuditEvent(**{**audit.content_of(edited), "at": edited.at, "after": {"outcome": "full"}})
        forged = audit.link_hash(previous, edited.chain_seq, as_forged)
    raw(
        app,
        "UPDATE audit_events SET after = :after, chain_hash = :hash WHERE id = :id",
        after='{"outcome": "full"}',
        hash=forged,
        id=edited.id,
    )

    report = verified(app)

    assert not report.holds and report.broken_at != edited.id


def test_the_app_cannot_rewrite_an_event_once_written(app, assessor, assessment_id):
    score(assessor, assessment_id, "1.1.1")
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="finding.set"))
        event.after = {"outcome": "zero"}
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()


def test_the_command_and_the_audit_page_say_the_chain_holds(
    app, client, runner, make_user, auth, assessor, assessment_id
):
    score(assessor, assessment_id, "1.1.1")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "holds" in result.output

    make_user("boss", role="admin")
    auth.login("boss")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "审计" in page and "完整" in page


def test_the_audit_page_says_where_the_chain_broke(app, client, make_user, auth, assessor, assessment_id):
    score(assessor, assessment_id, "1.1.1")
    with app.app_context():
        first = db.session.scalar(db.select(AuditEvent.id).order_by(AuditEvent.id))
    raw(app, "UPDATE audit_events SET subject = 'x' WHERE id = :id", id=first)
    make_user("boss", role="admin")
    auth.login("boss")

    page = client.get("/admin/audit").get_data(as_text=True)

    assert f"#{first}" in page and "断" in page


def test_assessors_and_staff_cannot_see_the_audit_page(client, assessor):
    assert client.get("/admin/audit").status_code == 403


def test_the_migration_links_the_events_written_before_it(tmp_path):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=databases.databases().create_empty(tmp_path),
        UPLOAD_DIR=str(tmp_path),
    )
    with app.app_context():
        upgrade(revision="b7d41c2e9a55")
        for n in range(3):
            db.session.execute(
                text(
                    "INSERT INTO audit_events (at, action, subject, before, after, reason)"
                    " VALUES (:at, 'station.update', :subject, NULL, :after, '')"
                ),
                {"at": f"2026-12-0{n + 1} 08:00:00.000000", "subject": f"S{n}", "after": '{"name": "站"}'},
            )
        db.session.commit()
        upgrade()
        report = audit.verify()
        db.session.remove()
        downgrade(revision="b7d41c2e9a55")
        db.engine.dispose()
    assert report.holds and report.events == 3
