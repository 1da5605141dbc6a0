"""`flask backup` and `flask restore`: a restored instance holds every row and every photo file."""

import hashlib
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.services import backup
from tests import databases
from tests.conftest import Auth, TestConfig


def every_row(app) -> dict[str, list[tuple]]:
    with app.app_context():
        return {
            table.name: [tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key))]
            for table in db.metadata.sorted_tables
        }


def photo_hashes(app) -> dict[str, str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


def empty_instance(folder: Path):
    """A new instance as an operator sets one up: an empty database (no tables) and upload folder."""
    folder.mkdir(parents=True, exist_ok=True)
    return create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=databases.databases().create_empty(folder),
        UPLOAD_DIR=str(folder / "uploads"),
    )


@pytest.fixture
def demo_app(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


def test_restore_into_an_empty_instance_gives_back_every_row_and_photo(demo_app, runner, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    original_rows, original_photos = every_row(demo_app), photo_hashes(demo_app)
    assert original_photos and all(original_rows[name] for name in ("assessments", "findings", "photos"))

    restored = empty_instance(tmp_path / "restored")
    result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert every_row(restored) == original_rows
    assert photo_hashes(restored) == original_photos
    assert Auth(restored.test_client()).login("admin", "demo2026").status_code == 302


def test_backup_holds_the_database_and_the_photo_files_but_no_temporary_file(demo_app, runner, tmp_path):
    (Path(demo_app.config["UPLOAD_DIR"]) / ".upload-half-written.tmp").write_bytes(b"partial")
    archive = tmp_path / "backup.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert {"backup.json", backup.DUMPS[databases.databases().dialect]} <= set(names)
    photos = [name for name in names if name.startswith("uploads/")]
    assert sorted(photos) == sorted(
        f"uploads/{name}" for name in photo_hashes(demo_app) if ".tmp" not in name
    )


def test_restore_refuses_an_instance_that_has_data_and_changes_nothing(demo_app, runner, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    before = every_row(demo_app)
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert every_row(demo_app) == before


def test_restore_refuses_an_upload_folder_with_photos(demo_app, runner, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    restored = empty_instance(tmp_path / "restored")
    (Path(restored.config["UPLOAD_DIR"]) / "ab").mkdir()
    (Path(restored.config["UPLOAD_DIR"]) / "ab" / "abcd.jpg").write_bytes(b"left over")
    result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code != 0 and "upload folder" in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(__file__, "something.py")
    result = runner.invoke(args=["restore", str(bogus)])
    assert result.exit_code != 0 and "not a backup" in result.output
