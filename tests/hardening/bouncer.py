"""Debian's PgBouncer in front of the throwaway cluster, with a generated configuration."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from .pgcluster import Cluster, system_user
from .servers import free_port, stop_group

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def require_pgbouncer() -> str:
    if not Path(BINARY).exists():
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)")
    return BINARY


def version() -> str:
    out = subprocess.run([require_pgbouncer(), "--version"], capture_output=True, text=True)
    return out.stdout.splitlines()[0] if out.stdout else "unknown"


@contextlib.contextmanager
def pgbouncer(
    cluster: Cluster, dbname: str, *, mode: str, pool_size: int, max_clients: int = 50
) -> Iterator[int]:
    """PgBouncer on 127.0.0.1 in ``mode`` with ``pool_size`` server connections per pool;
    yields its port. ``cluster`` needs a ``port`` (and may give a ``host``: an address or a
    socket directory). PgBouncer refuses to run as root, so as root it runs as the cluster's
    system user."""
    binary = require_pgbouncer()
    user = system_user()
    host = str(getattr(cluster, "host", "127.0.0.1"))
    if host.startswith("/") and os.geteuid() == 0:
        # A socket directory (the embedded server's): run as its owner, who may enter it.
        user = pwd.getpwuid(os.stat(host).st_uid).pw_name
    workdir = Path(tempfile.mkdtemp(prefix="hk-bouncer-"))
    workdir.chmod(0o755)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    port = free_port()
    ini = workdir / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"{dbname} = host={host} port={cluster.port} "
        f"dbname={dbname} user=postgres\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = any\n"
        f"pool_mode = {mode}\n"
        f"default_pool_size = {pool_size}\n"
        "min_pool_size = 0\n"
        f"max_client_conn = {max_clients}\n"
        f"logfile = {workdir / 'pgbouncer.log'}\n"
    )
    ini.chmod(0o644)
    proc = subprocess.Popen(
        [binary, str(ini)],
        user=user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(
                    host="127.0.0.1", port=port, user="postgres", dbname=dbname, connect_timeout=2
                ).close()
                break
            except psycopg.OperationalError:
                log = workdir / "pgbouncer.log"
                if proc.poll() is not None or time.monotonic() > deadline:
                    text = log.read_text(errors="replace") if log.exists() else ""
                    raise RuntimeError(f"pgbouncer did not start:\n{text[-2000:]}") from None
                time.sleep(0.1)
        yield port
    finally:
        stop_group(proc, grace=5)
        shutil.rmtree(workdir, ignore_errors=True)
