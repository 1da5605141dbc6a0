"""The finalized record: a rename afterwards changes nothing in it, and a reopen loses nothing."""

import subprocess
from datetime import timedelta

from app.extensions import db
from app.models import Assessment, AuditEvent, ShareLink, Station, User
from app.services import deadlines, people, shares, stations
from tests.report_fixtures import demo_data, log_in  # noqa: F401
from tests.reports.test_share import token_on


def rename_everything(app, demo):
    """The station and the lead assessor get new names after 定稿."""
    with app.app_context():
        admin = db.session.scalar(db.select(User).filter_by(username="admin"))
        station = db.session.get(Station, demo.bj001)
        values = {name: getattr(station, name) for name in stations.FIELDS} | {
            "name": "改名后的鉴定站",
            "address": "新地址 1 号",
        }
        stations.update(station, values, admin)
        lead = db.session.get(Assessment, demo.finalized).lead_assessor
        people.update(lead, "改名后的评估员", lead.role, lead.station, admin)
        db.session.commit()


def pdf_words(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_a_rename_after_finalize_changes_nothing_in_the_report(app, client, auth, demo, tmp_path):
    log_in(auth, "admin")
    before = client.get(f"/reports/assessments/{demo.finalized}").get_data(as_text=True)
    assert "北京" in before
    rename_everything(app, demo)
    page = client.get(f"/reports/assessments/{demo.finalized}").get_data(as_text=True)
    assert "改名后的鉴定站" not in page and "改名后的评估员" not in page
    assert "新地址" not in page
    words = pdf_words(client.get(f"/reports/assessments/{demo.finalized}.pdf").data, tmp_path)
    assert "改名后" not in words
    with app.app_context():
        old_name = db.session.get(Assessment, demo.finalized).frozen["station"]["name"]
    assert old_name in page and old_name in words.replace("\n", "")


def test_a_new_finalize_after_a_reopen_takes_a_new_snapshot(app, client, auth, demo):
    rename_everything(app, demo)
    log_in(auth, "admin")
    reopen(client, auth, demo.finalized)
    assert finalize(client, auth, demo.finalized).status_code == 302
    page = client.get(f"/reports/assessments/{demo.finalized}").get_data(as_text=True)
    assert "改名后的鉴定站" in page and "改名后的评估员" in page


def finalize(client, auth, assessment_id):
    return client.post(f"/assess/{assessment_id}/finalize", data={"csrf_token": auth.token})


def reopen(client, auth, assessment_id):
    response = client.post(
        f"/admin/assessments/{assessment_id}/reopen", data={"csrf_token": auth.token, "reason": "复核"}
    )
    assert response.status_code == 302


def set_deadlines(app, assessment_id, overall, **per_item):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assessment.rectification_due = overall
        for finding in assessment.findings:
            finding.rectification_due = per_item.get(finding.item_id)
        db.session.commit()


def today(app):
    with app.app_context():
        return deadlines.today()


def kept_deadlines(app, assessment_id):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        return assessment.rectification_due, {
            f.item_id: f.rectification_due for f in assessment.findings if f.rectification_due
        }


def test_a_reopen_and_a_new_finalize_keep_the_deadlines_and_the_answers(app, client, auth, demo):
    day = today(app)
    overall, own = day + timedelta(days=30), day - timedelta(days=2)
    set_deadlines(app, demo.finalized, overall, **{"4.1.1": own})
    with app.app_context():
        answers = len(db.session.get(Assessment, demo.finalized).finding_for("5.3.1").rectifications)
    assert answers
    log_in(auth, "admin")
    reopen(client, auth, demo.finalized)
    summary = client.get(f"/assess/{demo.finalized}/summary").get_data(as_text=True)
    # The summary offers the kept dates, an overdue one included, so the form sends them back.
    assert f'value="{overall.isoformat()}"' in summary and f'value="{own.isoformat()}"' in summary
    form = {"csrf_token": auth.token, "rectification_due": overall.isoformat(), "due-4.1.1": own.isoformat()}
    assert client.post(f"/assess/{demo.finalized}/finalize", data=form).status_code == 302
    assert kept_deadlines(app, demo.finalized) == (overall, {"4.1.1": own})
    # A 定稿 that sends no deadline field at all (the API, an old page) keeps them too.
    reopen(client, auth, demo.finalized)
    assert finalize(client, auth, demo.finalized).status_code == 302
    assert kept_deadlines(app, demo.finalized) == (overall, {"4.1.1": own})
    with app.app_context():
        assessment = db.session.get(Assessment, demo.finalized)
        assert len(assessment.finding_for("5.3.1").rectifications) == answers
    station_page = log_in(auth, "staff1").client.get("/station/").get_data(as_text=True)
    assert "4.1.1" in station_page


def test_every_change_of_a_deadline_is_audited(app, client, auth, demo):
    day = today(app)
    first, moved = day + timedelta(days=30), day + timedelta(days=60)
    set_deadlines(app, demo.finalized, first, **{"4.1.1": first})
    log_in(auth, "admin")
    reopen(client, auth, demo.finalized)
    form = {"csrf_token": auth.token, "rectification_due": moved.isoformat(), "due-4.1.1": ""}
    assert client.post(f"/assess/{demo.finalized}/finalize", data=form).status_code == 302
    assert kept_deadlines(app, demo.finalized) == (moved, {})
    with app.app_context():
        event = db.session.scalars(
            db.select(AuditEvent).filter_by(action="rectification.deadline").order_by(AuditEvent.id.desc())
        ).first()
        assert event.before == {"overall": first.isoformat(), "per_item": {"4.1.1": first.isoformat()}}
        assert event.after == {"overall": moved.isoformat(), "per_item": {}}


def test_a_share_link_ended_by_a_reopen_stays_ended_after_the_next_finalize(app, client, auth, demo):
    log_in(auth, "admin")
    assert client.post(f"/assess/{demo.finalized}/shares", data={"csrf_token": auth.token}).status_code == 302
    token = token_on(client.get(f"/assess/{demo.finalized}/result").get_data(as_text=True))
    assert client.get(f"/shared/{token}").status_code == 200
    reopen(client, auth, demo.finalized)
    assert client.get(f"/shared/{token}").status_code == 404
    assert finalize(client, auth, demo.finalized).status_code == 302
    assert client.get(f"/shared/{token}").status_code == 404
    assert client.get(f"/shared/{token}.pdf").status_code == 404


def test_the_upgrade_fills_the_snapshot_of_records_finalized_before_and_ends_reopened_links(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from tests import databases
    from tests.conftest import TestConfig

    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=databases.databases().create_empty(tmp_path),
        UPLOAD_DIR=str(tmp_path),
    )
    with app.app_context():
        upgrade(revision="b7d41c2e9a55")
        statements = [
            "INSERT INTO stations (id, code, name, address, contact, active, created_at) "
            "VALUES (1, 'GZ01', '广州一站', '广州路 1 号', '', true, '2026-01-01')",
            "INSERT INTO users (id, username, display_name, email, password_hash, role, active, created_at) "
            "VALUES (1, 'wang', '王建国', '', 'x', 'assessor', true, '2026-01-01')",
            "INSERT INTO assessments (id, station_id, rubric_id, rubric_version, status, lead_assessor_id, "
            "started_at, finalized_at, score) VALUES (1, 1, 'station-quality', '1', 'finalized', 1, "
            "'2026-03-01', '2026-03-05', 97)",
            "INSERT INTO assessment_team (assessment_id, user_id) VALUES (1, 1)",
            "INSERT INTO share_links (id, assessment_id, token, created_by_id, created_at, expires_at) "
            "VALUES (1, 1, 'before-reopen', 1, '2026-03-02', '2027-03-02'), "
            "(2, 1, 'after', 1, '2026-03-06', '2027-03-06')",
        ]
        with db.engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
        upgrade()
        assessment = db.session.get(Assessment, 1)
        assert assessment.frozen["station"] == {"code": "GZ01", "name": "广州一站", "address": "广州路 1 号"}
        assert assessment.frozen["lead_assessor"]["name"] == "王建国"
        assert assessment.frozen["form"]["title"].startswith("职业技能鉴定所")
        ended = {
            link.token_sha256: link.revoked_at is not None
            for link in db.session.scalars(db.select(ShareLink))
        }
        assert ended == {shares.digest("before-reopen"): True, shares.digest("after"): False}
        db.session.remove()
        db.engine.dispose()
