import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.config import database_url
from app.extensions import db
from app.models import Assessment
from tests import databases
from tests.conftest import TestConfig, make_test_app


def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=databases.databases().create_empty(tmp_path),
        UPLOAD_DIR=str(tmp_path),
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert differences == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'wal.db'}")
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_the_database_refuses_a_row_pointing_at_nothing(app):
    with app.app_context():
        db.session.add(Assessment(station_id=999, rubric_id="station-quality", rubric_version="1"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(
    "given, used",
    [
        ("", "sqlite:///"),
        ("postgres://u:p@db/assess", "postgresql+psycopg://u:p@db/assess"),
        ("postgresql://u:p@db/assess", "postgresql+psycopg://u:p@db/assess"),
        ("postgresql+psycopg://u:p@db/assess", "postgresql+psycopg://u:p@db/assess"),
    ],
)
def test_database_url_defaults_to_sqlite_and_sends_postgresql_to_psycopg(given, used):
    assert database_url(given).startswith(used)
