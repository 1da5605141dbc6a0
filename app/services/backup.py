"""One archive holding a consistent copy of the database and every stored photo, and its restore.

The database is copied first (SQLite's online backup API, or `pg_dump`), then the upload folder.
Photo files are content-addressed, written through a rename before their row is committed and
never changed or deleted, so every photo the copied database names is in the folder by then.
A restore goes only into an empty instance: no rows in any table, no photo in the upload folder.
"""

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL

from app.extensions import db

FORMAT = 1
MANIFEST = "backup.json"
DUMPS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
UPLOADS = "uploads"


class BackupError(Exception):
    """Something the operator must fix; said in one sentence."""


def dialect() -> str:
    return db.engine.dialect.name


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def stored_files(folder: Path) -> list[Path]:
    """Every file in the photo store, without temporary files being written right now."""
    return sorted(path for path in folder.rglob("*") if path.is_file() and not path.name.startswith("."))


def postgres_environment(url: URL) -> dict:
    """libpq settings for pg_dump/pg_restore, so the password never shows on a command line."""
    settings = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": url.port and str(url.port),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    return {**os.environ, **{name: value for name, value in settings.items() if value}}


def run_postgres_tool(arguments: list[str]) -> None:
    tool = arguments[0]
    if not shutil.which(tool):
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(
        arguments, env=postgres_environment(db.engine.url), capture_output=True, text=True
    )
    if result.returncode:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")


def copy_sqlite(source_path, target_path) -> None:
    """SQLite's online backup: a consistent copy even while other connections write."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def dump_database(target: Path) -> None:
    if dialect() == "sqlite":
        copy_sqlite(db.engine.url.database, target)
    elif dialect() == "postgresql":
        run_postgres_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"])
    else:
        raise BackupError(f"backups of {dialect()} databases are not supported")


def load_database(dump: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    if dialect() == "sqlite":
        copy_sqlite(dump, db.engine.url.database)
    else:
        run_postgres_tool(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={db.engine.url.database}",
                str(dump),
            ]
        )


def row_counts() -> dict[str, int]:
    """Rows per table of this app's schema, for the tables the database has."""
    present = set(inspect(db.engine).get_table_names())
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name in present
    }


def write_backup(archive: Path) -> dict:
    """Write the archive; answers its manifest (dialect, time, number of photo files)."""
    with tempfile.TemporaryDirectory() as folder:
        dump = Path(folder) / DUMPS.get(dialect(), "database")
        dump_database(dump)
        photos = stored_files(upload_dir())
        manifest = {
            "format": FORMAT,
            "dialect": dialect(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": len(photos),
        }
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            manifest_file = Path(folder) / MANIFEST
            manifest_file.write_text(json.dumps(manifest, indent=2))
            tar.add(manifest_file, MANIFEST)
            tar.add(dump, dump.name)
            for path in photos:
                tar.add(path, f"{UPLOADS}/{path.relative_to(upload_dir()).as_posix()}")
        partial.replace(archive)
    return manifest


def refuse_unless_empty() -> None:
    filled = {name: count for name, count in row_counts().items() if count}
    if filled:
        raise BackupError(
            f"the database is not empty ({', '.join(sorted(filled))}); restore needs an empty one"
        )
    if stored_files(upload_dir()):
        raise BackupError(f"the upload folder {upload_dir()} is not empty; restore needs an empty one")


NOT_A_BACKUP = "this is not a backup written by `flask backup`"


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError) as error:
        raise BackupError(NOT_A_BACKUP) from error
    if not isinstance(manifest, dict) or manifest.get("dialect") not in DUMPS:
        raise BackupError(NOT_A_BACKUP)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')} is not known to this version")
    if manifest["dialect"] != dialect():
        raise BackupError(
            f"the backup is of a {manifest['dialect']} database, this instance uses {dialect()}"
        )
    return manifest


def restore_backup(archive: Path) -> dict:
    """Load the archive into this (empty) instance; answers the archive's manifest."""
    refuse_unless_empty()
    try:
        with tarfile.open(archive, "r:*") as tar, tempfile.TemporaryDirectory() as folder:
            manifest = read_manifest(tar)
            tar.extractall(folder, filter="data")
            dump = Path(folder) / DUMPS[manifest["dialect"]]
            if not dump.is_file():
                raise BackupError(f"the archive holds no {dump.name}: {NOT_A_BACKUP}")
            load_database(dump)
            copy_photos(Path(folder) / UPLOADS, upload_dir())
    except tarfile.FilterError as error:
        raise BackupError(
            f"the archive holds a file it may not write ({error}); nothing was restored"
        ) from error
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(f"the archive cannot be read ({_one_line(error)}): {NOT_A_BACKUP}") from error
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the database in the archive cannot be read ({error})") from error
    return manifest


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def copy_photos(source: Path, target: Path) -> None:
    if not source.is_dir():
        return
    for path in stored_files(source):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
