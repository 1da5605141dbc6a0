"""A fresh database for every test: a SQLite file, or on PostgreSQL a copy of a template database.

`TEST_DATABASE=postgresql` runs the suite on PostgreSQL. `TEST_DATABASE_URL` names a server to
use (the user must be allowed to CREATE DATABASE); without it a throwaway cluster is started
for the session (tests/pgcluster.py). The schema is built once into a template database, and
each test gets `CREATE DATABASE … TEMPLATE` of it, dropped WITH (FORCE) after the test, so
servers and connections a test leaves behind cannot leak rows into the next one.

With pytest-xdist workers (`-n`), the controller starts the one cluster of the session
(`start_shared_cluster`) and the workers, which inherit its TEST_DATABASE_URL, create their
databases in it under names carrying their own pid.

A test marked `no_database` runs on no database, so once rather than on each: asking for one
fails it (`refused`), which keeps the mark true.
"""

import itertools
import os
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import database_url
from app.extensions import db
from tests.pgcluster import Cluster


def wanted() -> str:
    """TEST_DATABASE when given, else PostgreSQL when a server is named, else SQLite."""
    default = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    return os.environ.get("TEST_DATABASE") or default


class SQLiteDatabases:
    dialect = "sqlite"

    def create(self, folder) -> str:
        url = f"sqlite:///{folder}/test.db"
        engine = create_engine(url)
        db.metadata.create_all(engine)
        engine.dispose()
        return url

    def create_empty(self, folder) -> str:
        return f"sqlite:///{folder}/empty.db"

    def drop_created(self) -> None:
        """SQLite files live in the test's tmp_path, which pytest removes."""

    def close(self) -> None:
        pass


class PostgresDatabases:
    """Databases named after this process, cloned from one template built at first use."""

    dialect = "postgresql"

    def __init__(self):
        self.cluster = None
        server = os.environ.get("TEST_DATABASE_URL")
        if not server:
            self.cluster = Cluster()
            server = self.cluster.start()
        self.server = make_url(database_url(server))
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT", pool_size=1)
        self.prefix = f"test_{os.getpid()}"
        self.names = (f"{self.prefix}_{n}" for n in itertools.count())
        self.template = None
        self.created = []

    def url_of(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement))

    def _build_template(self) -> str:
        name = f"{self.prefix}_template"
        self._execute(f'CREATE DATABASE "{name}"')
        engine = create_engine(self.url_of(name))
        db.metadata.create_all(engine)
        engine.dispose()
        return name

    def create(self, folder=None) -> str:
        self.template = self.template or self._build_template()
        return self._new(f'TEMPLATE "{self.template}"')

    def create_empty(self, folder=None) -> str:
        return self._new("TEMPLATE template0")

    def _new(self, template: str) -> str:
        name = next(self.names)
        self._execute(f'CREATE DATABASE "{name}" {template}')
        self.created.append(name)
        return self.url_of(name)

    def drop_created(self) -> None:
        while self.created:
            self._execute(f'DROP DATABASE IF EXISTS "{self.created.pop()}" WITH (FORCE)')

    def close(self) -> None:
        self.drop_created()
        if self.template:
            self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()
        if self.cluster:
            self.cluster.stop()


_databases = None
_refused_to = None
_shared_cluster = None


@contextmanager
def refused(test: str):
    """While `test` (marked no_database) runs, asking for a database fails it."""
    global _refused_to
    _refused_to = test
    try:
        yield
    finally:
        _refused_to = None


def databases() -> SQLiteDatabases | PostgresDatabases:
    """The session's databases, set up at first use."""
    global _databases
    if _refused_to:
        raise RuntimeError(f"{_refused_to} is marked no_database but asks for a database: drop the mark")
    if _databases is None:
        _databases = PostgresDatabases() if wanted() == "postgresql" else SQLiteDatabases()
    return _databases


def close() -> None:
    if _databases is not None:
        _databases.close()


def start_shared_cluster() -> None:
    """Start the session's throwaway cluster here (the xdist controller) unless a server is named,
    and name it in TEST_DATABASE_URL, which the workers started after this inherit."""
    global _shared_cluster
    if os.environ.get("TEST_DATABASE_URL"):
        return
    _shared_cluster = Cluster()
    try:
        os.environ["TEST_DATABASE_URL"] = _shared_cluster.start()
    except BaseException:
        _shared_cluster.stop()
        raise


def stop_shared_cluster() -> None:
    global _shared_cluster
    if _shared_cluster is not None:
        os.environ.pop("TEST_DATABASE_URL", None)
        _shared_cluster.stop()
        _shared_cluster = None
