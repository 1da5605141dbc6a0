"""A throwaway PostgreSQL cluster for one test session, from Debian's `postgresql` binaries.

The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port, trusts local
connections and never syncs to disk: it is rebuilt for every session, so durability buys nothing.
PostgreSQL refuses to run as root, so as root it runs as the `postgres` user the package creates.
Its time zone is the stations' own (Asia/Shanghai), so code that leans on the server's clock or
zone shows up as a failing test instead of a report eight hours off.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "timezone": "'Asia/Shanghai'",
    "log_min_messages": "warning",
}


class ClusterError(RuntimeError):
    pass


def binaries() -> Path:
    """The newest installed server's bin directory, or PG_BIN when set."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise ClusterError(
            "PostgreSQL is not installed: run `make test` as root, or `apt-get install -y postgresql`, "
            "or set TEST_DATABASE_URL to a server where the user may CREATE DATABASE"
        )
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """initdb, start, and stop-and-delete a private cluster; `url` names its `postgres` database."""

    def __init__(self):
        self.bin = binaries()
        self.directory = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = None
        self.owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.owner:
            os.chown(self.directory, self.owner.pw_uid, self.owner.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        as_owner = (
            {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []} if self.owner else {}
        )
        result = subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=self.directory,
            capture_output=True,
            text=True,
            **as_owner,
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise ClusterError(f"{' '.join(args[:2])} failed:\n{result.stdout}{result.stderr}{log}")

    def start(self) -> str:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in SETTINGS.items())
            conf.write(f"unix_socket_directories = '{self.directory}'\n")
        for _attempt in range(3):
            self.port = free_port()
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "-w",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    f"-p {self.port}",
                )
                return self.url
            except ClusterError:
                if "could not bind" not in (self.log.read_text() if self.log.exists() else ""):
                    raise
        raise ClusterError("no free port for the test cluster")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))
        shutil.rmtree(self.directory, ignore_errors=True)
