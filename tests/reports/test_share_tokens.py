"""A share link's token is a key: kept only as a hash, shown once, and never written to a log."""

import hashlib
import logging
import re
from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import Boolean, DateTime, Integer, MetaData, String, Table, text

from app import create_app
from app.extensions import db
from app.models import ShareLink
from tests import databases
from tests.conftest import TestConfig
from tests.report_fixtures import demo_data, log_in  # noqa: F401

SHARE_URL = re.compile(r"/shared/([A-Za-z0-9_-]{20,})")


def create_link(auth, assessment_id):
    response = auth.client.post(
        f"/assess/{assessment_id}/shares", data={"csrf_token": auth.token, "days": 30}, follow_redirects=True
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def request_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "app.requests"]


def test_the_token_is_stored_only_as_its_hash_and_shown_once(app, auth, demo):
    log_in(auth, "assessor1")
    page = create_link(auth, demo.finalized)
    (token,) = set(SHARE_URL.findall(page))
    with app.app_context():
        link = db.session.scalar(db.select(ShareLink))
        assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        stored = [str(value) for value in db.session.execute(db.select(ShareLink.__table__)).one()]
    assert not any(token in value for value in stored)
    assert auth.client.get(f"/shared/{token}").status_code == 200
    again = auth.client.get(f"/assess/{demo.finalized}/result").get_data(as_text=True)
    assert token not in again
    assert "撤回" in again


def test_no_share_token_goes_into_the_request_log(app, auth, demo, caplog):
    log_in(auth, "assessor1")
    (token,) = set(SHARE_URL.findall(create_link(auth, demo.finalized)))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="app.requests"):
        assert auth.client.get(f"/shared/{token}").status_code == 200
        assert auth.client.get(f"/shared/{token}.pdf").status_code == 200
        assert auth.client.get(f"/shared/{token}/photos/{demo.photo}").status_code == 200
        assert auth.client.get(f"/shared/{token}x/nothing/here").status_code == 404
    lines = request_lines(caplog)
    assert len(lines) == 4
    assert all(token not in line for line in lines), lines


def test_a_line_break_in_the_path_cannot_forge_a_request_log_line(client, caplog):
    forged = "/nothing%0a2026-12-07 10:00:00,000 INFO request_id=x method=POST path=/admin status=200"
    with caplog.at_level(logging.INFO, logger="app.requests"):
        client.get(forged)
        client.get("/nothing%0d%e2%80%a8x")
    lines = request_lines(caplog)
    assert len(lines) == 2
    assert all("\n" not in line and "\r" not in line and "\u2028" not in line for line in lines), lines
    assert "path=/nothing%0A2026" in lines[0]


def insert_a_row(connection, table_name, **values):
    """A row with id 1 and a plain value in every column that needs one (foreign keys point at 1)."""
    table = Table(table_name, MetaData(), autoload_with=connection)
    plain = {Integer: 1, String: "x", DateTime: datetime(2026, 1, 1), Boolean: True}
    row = {"id": 1}
    for column in table.columns:
        if column.name in values or column.nullable or column.name == "id":
            continue
        row[column.name] = next(v for kind, v in plain.items() if isinstance(column.type, kind))
    connection.execute(table.insert().values(**row, **values))


def test_the_migration_hashes_the_tokens_of_existing_links(tmp_path):
    url = databases.databases().create_empty(tmp_path)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path))
    with app.app_context():
        upgrade(revision="b7d41c2e9a55")
        with db.engine.begin() as connection:
            insert_a_row(connection, "stations")
            insert_a_row(connection, "users", role="assessor")
            insert_a_row(connection, "assessments", status="finalized")
            insert_a_row(connection, "share_links", token="old-token", expires_at=datetime(2099, 1, 1))
        upgrade()
        with db.engine.connect() as connection:
            (digest,) = connection.execute(text("SELECT token_sha256 FROM share_links")).one()
        assert digest == hashlib.sha256(b"old-token").hexdigest()
        downgrade(revision="b7d41c2e9a55")
        db.engine.dispose()
