"""The finalized record: a rename afterwards changes nothing in it."""

import subprocess
from app.extensions import db
from app.models import Assessment, ShareLink, Station, User
from app.services import people, stations
from tests.report_fixtures import demo_data, log_in  # noqa: F401


def rename_everything(app, demo):
    """The station and the lead assessor get new names after 定稿."""
    with app.app_context():
        admin = db.session.scalar(db.select(User).filter_by(username="admin"))
        station = db.session.get(Station, demo.bj001)
        values = {**station.as_dict(), "name": "改名后的鉴定站", "address": "新地址 1 号"}
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
    assert client.post(f"/assess/{demo.finalized}/finalize", data={"csrf_token": auth.token}).status_code == 302
    page = client.get(f"/reports/assessments/{demo.finalized}").get_data(as_text=True)
    assert "改名后的鉴定站" in page and "改名后的评估员" in page


def reopen(client, auth, assessment_id):
    response = client.post(
        f"/admin/assessments/{assessment_id}/reopen", data={"csrf_token": auth.token, "reason": "复核"}
    )
    assert response.status_code == 302


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
        ended = {link.token: link.revoked_at is not None for link in db.session.scalars(db.select(ShareLink))}
        assert ended == {"before-reopen": True, "after": False}
        db.session.remove()
        db.engine.dispose()
