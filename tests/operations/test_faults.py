"""Faults the server meets in the field: a database that restarts or is down, a full disk, slow photos.

Each answer says plainly that the change was not saved, so nobody trusts a save that failed.
"""

import errno
import os
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db
from app.models import FINALIZED, Assessment, Finding, Photo
from app.services import evidence
from tests import databases
from tests.conftest import TestConfig
from tests.photos.test_photos import jpeg, upload

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


def locked(statement="UPDATE findings") -> OperationalError:
    """What SQLite raises when another writer held the lock for longer than this one waits."""
    return OperationalError(statement, {}, sqlite3.OperationalError("database is locked"))


def test_a_write_that_waited_too_long_for_the_lock_says_the_server_is_busy_not_unreachable(
    assessor, assessment_id, monkeypatch
):
    from app.services import assessments

    def busy(*args, **kwargs):
        raise locked()

    monkeypatch.setattr(assessments, "record_finding", busy)
    answer = assessor.put_json(f"/api/assessments/{assessment_id}/findings/1.1.1", {"outcome": "full"})

    assert answer.status_code == 503
    assert answer.get_json()["code"] == "busy"
    assert "服务器正忙" in answer.get_json()["error"] and "无法连接" not in answer.get_json()["error"]
    assert_claims_no_save(answer.get_json()["error"])
    assert int(answer.headers["Retry-After"]) <= 5


def test_results_sent_together_keep_their_answers_when_the_database_fails_partway(
    app, assessor, assessment_id, monkeypatch
):
    """The first result was committed; the answer says so for it, and not saved for the second."""
    from app.services import assessments

    real = assessments.record_finding_once
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise locked()
        return real(*args, **kwargs)

    monkeypatch.setattr(assessments, "record_finding_once", second_fails)
    answer = assessor.post_json(
        f"/api/assessments/{assessment_id}/findings",
        {"findings": [{"item_id": "1.1.1", "outcome": "full"}, {"item_id": "1.1.2", "outcome": "full"}]},
    )

    assert answer.status_code == 200
    first, second = answer.get_json()["results"]
    assert (first["item_id"], first["status"]) == ("1.1.1", 200)
    assert (second["item_id"], second["status"]) == ("1.1.2", 503)
    assert_claims_no_save(second["body"]["error"])
    with app.app_context():
        assert [f.item_id for f in db.session.query(Finding).filter(Finding.outcome.is_not(None))] == [
            "1.1.1"
        ]


def test_a_read_only_upload_folder_answers_503_for_an_administrator_and_stores_nothing(
    app, assessor, assessment_id, monkeypatch
):
    def read_only(data, upload_dir):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(evidence, "store_bytes", read_only)
    answer = upload(assessor, assessment_id, jpeg())

    assert answer.status_code == 503
    assert "管理员" in answer.get_json()["error"]
    assert_claims_no_save(answer.get_json()["error"])
    with app.app_context():
        assert db.session.query(Photo).count() == 0


def stored_files(app) -> list:
    return sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file())


def test_a_photo_for_a_finalized_assessment_is_refused_before_it_is_decoded_or_written(
    app, assessor, assessment_id, monkeypatch
):
    decoded = []
    real_process = evidence.process
    monkeypatch.setattr(evidence, "process", lambda *a, **k: decoded.append(1) or real_process(*a, **k))
    with app.app_context():
        db.session.get(Assessment, assessment_id).status = FINALIZED
        db.session.commit()
    before = stored_files(app)

    answer = upload(assessor, assessment_id, jpeg())

    assert answer.status_code == 409
    assert decoded == []
    assert stored_files(app) == before


def finalize_while_decoding(app, assessment_id, monkeypatch) -> None:
    """Another assessor's 定稿 lands while this photo is being decoded and written."""
    from app.services import photos

    real_store = photos.store

    def finalized_meanwhile(data):
        stored = real_store(data)
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.begin() as other:
            other.execute(
                text("UPDATE assessments SET status = :s WHERE id = :id"),
                {"s": FINALIZED, "id": assessment_id},
            )
        engine.dispose()
        return stored

    monkeypatch.setattr(photos, "store", finalized_meanwhile)


def test_a_photo_whose_assessment_is_finalized_while_it_is_decoded_leaves_no_files(
    app, assessor, assessment_id, monkeypatch
):
    finalize_while_decoding(app, assessment_id, monkeypatch)
    before = stored_files(app)

    answer = upload(assessor, assessment_id, jpeg())

    assert answer.status_code == 409
    assert stored_files(app) == before


def test_a_photo_refused_under_the_lock_keeps_the_files_another_photo_stands_on(
    app, assessor, assessment_id, monkeypatch
):

    picture = jpeg()
    assert upload(assessor, assessment_id, picture, item_id="5.3.1").status_code == 201
    kept = stored_files(app)
    finalize_while_decoding(app, assessment_id, monkeypatch)

    assert upload(assessor, assessment_id, picture, item_id="1.1.1").status_code == 409
    assert stored_files(app) == kept


def test_temporary_files_of_writes_killed_midway_are_removed_when_the_app_starts(tmp_path):
    folder = tmp_path / "uploads" / "ab"
    folder.mkdir(parents=True)
    abandoned, under_way = folder / ".upload-old.tmp", folder / ".upload-new.tmp"
    abandoned.write_bytes(b"half a photo")
    under_way.write_bytes(b"being written")
    an_hour_and_more_ago = time.time() - evidence.ABANDONED_AFTER_SECONDS - 60
    os.utime(abandoned, (an_hour_and_more_ago, an_hour_and_more_ago))

    create_app(
        TestConfig,
        UPLOAD_DIR=str(tmp_path / "uploads"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/db.sqlite",
    )

    assert not abandoned.exists()
    assert under_way.exists()
