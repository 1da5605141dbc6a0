"""Faults the server meets in the field: a database that restarts or is down, a full disk, slow photos.

Each answer says plainly that the change was not saved, so nobody trusts a save that failed.
"""

import errno
import sqlite3

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from app.models import Finding, Photo
from app.services import evidence
from tests import databases
from tests.conftest import TestConfig
from tests.test_photos import jpeg, upload

NEVER_CLAIMED = ("不会丢失", "已保存的内容", "is lost", "is kept")


def unreachable_database_url(tmp_path) -> str:
    """Where the session's kind of database cannot be reached: a closed port, or a missing folder."""
    if databases.wanted() == "postgresql":
        return "postgresql+psycopg://postgres@127.0.0.1:1/gone?connect_timeout=2"
    return f"sqlite:///{tmp_path}/missing-folder/gone.db"


def assert_claims_no_save(text_: str) -> None:
    assert not any(claim in text_ for claim in NEVER_CLAIMED), text_


def test_database_down_answers_503_with_retry_after_and_never_claims_a_save(
    client, assessor, assessment_id, tmp_path
):
    down = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=unreachable_database_url(tmp_path), UPLOAD_DIR=str(tmp_path)
    )
    phone = down.test_client()
    phone.set_cookie("session", client.get_cookie("session").value)

    api = phone.put(
        f"/api/assessments/{assessment_id}/findings/1.1.1",
        json={"outcome": "full"},
        headers=assessor.headers(),
    )
    page = phone.get("/", headers={"Accept": "text/html"})

    assert api.status_code == 503 and int(api.headers["Retry-After"]) > 0
    assert "未保存" in api.get_json()["error"] or "未完成" in api.get_json()["error"]
    assert_claims_no_save(api.get_json()["error"])
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    assert_claims_no_save(page.get_data(as_text=True))


def test_the_generic_error_page_never_claims_a_save(app, client, assessor, assessment_id, monkeypatch):
    from app.services import assessments

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(assessments, "record_finding", broken)
    answer = assessor.put_json(f"/api/assessments/{assessment_id}/findings/1.1.1", {"outcome": "full"})

    assert answer.status_code == 500
    assert_claims_no_save(answer.get_json()["error"])


def test_a_full_upload_disk_answers_507_and_stores_nothing(app, assessor, assessment_id, monkeypatch):
    def disk_full(data, upload_dir):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evidence, "store_bytes", disk_full)
    answer = upload(assessor, assessment_id, jpeg())

    assert answer.status_code == 507
    assert "存储空间已满" in answer.get_json()["error"]
    assert_claims_no_save(answer.get_json()["error"])
    with app.app_context():
        assert db.session.query(Photo).count() == 0


def cut_idle_connections(app) -> None:
    """What a database restart does to the connections a worker keeps open between requests."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            name = db.engine.url.database
            with databases.databases().admin.connect() as admin:
                admin.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": name},
                )
        else:
            for record in list(db.engine.pool._pool.queue):
                record.dbapi_connection.close()


def test_connections_dropped_while_idle_are_replaced_before_the_next_request(app, assessor, assessment_id):
    url = f"/api/assessments/{assessment_id}/findings/1.1.1"
    assert assessor.put_json(url, {"outcome": "full"}).status_code == 200

    cut_idle_connections(app)

    assert assessor.put_json(url, {"outcome": "zero", "note": "缺"}).status_code == 200


@pytest.fixture
def write_probe(app):
    """Whether another connection could write to the assessment right now, without waiting."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    def can_write(assessment_id: int) -> bool:
        if url.startswith("sqlite"):
            other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                other.close()
        engine = create_engine(url)
        try:
            with engine.connect() as other:
                other.execute(text("SET lock_timeout = '100ms'"))
                other.execute(
                    text("SELECT id FROM assessments WHERE id = :id FOR UPDATE"), {"id": assessment_id}
                )
                return True
        except Exception:
            return False
        finally:
            engine.dispose()

    return can_write


def test_a_photo_is_decoded_before_the_write_lock_so_other_assessors_go_on(
    app, assessor, assessment_id, write_probe, monkeypatch
):
    seen = []
    real_process = evidence.process

    def watched(*args, **kwargs):
        seen.append(write_probe(assessment_id))
        return real_process(*args, **kwargs)

    monkeypatch.setattr(evidence, "process", watched)
    assert upload(assessor, assessment_id, jpeg(), item_id="1.1.1").status_code == 201

    assert seen == [True], "the photo was decoded while the database was locked for writing"
    with app.app_context():
        assert db.session.query(Finding).filter_by(item_id="1.1.1").count() == 1
