"""A local Citus cluster (a coordinator and two workers on loopback) for the ``citus`` tests.

Citus is not packaged in the registries the project installs from, so these tests run only
where an administrator has installed the extension into the PostgreSQL 15 server (its
``citus.so`` in the server's library directory); everywhere else they skip and say why.
Provisioning the cluster (preloading the library, creating the extension on every node,
registering the nodes) is the database administrator's part of the documented setup; what
the project does after that is ``manage.py citus_setup``.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from .pgcluster import DEBIAN_BIN, Cluster

DATABASE = "schemaswitch"


def citus_library() -> Path | None:
    """Where the Citus library of the PostgreSQL 15 server is, when it is installed."""
    if not (DEBIAN_BIN / "initdb").exists():
        return None
    try:
        libdir = subprocess.run(
            [str(DEBIAN_BIN.parent / "bin" / "pg_config"), "--pkglibdir"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        libdir = "/usr/lib/postgresql/15/lib"
    library = Path(libdir) / "citus.so"
    return library if library.exists() else None


def require_citus() -> None:
    if citus_library() is None:
        pytest.skip(
            "Citus is not installed into PostgreSQL 15 (no citus.so in its library "
            "directory); the citus tests need a local Citus build (docs/scale-out.md)"
        )


class CitusCluster:
    """Three PostgreSQL servers with Citus preloaded; the first is the coordinator."""

    def __init__(self) -> None:
        require_citus()
        options = (
            "-c shared_preload_libraries=citus -c max_connections=200 "
            "-c max_prepared_transactions=100 -c wal_level=logical "
            "-c citus.node_conninfo=sslmode=disable"
        )
        self.nodes = [Cluster(options=options) for _ in range(3)]

    @property
    def coordinator(self) -> Cluster:
        return self.nodes[0]

    @property
    def workers(self) -> list[Cluster]:
        return self.nodes[1:]

    def start(self) -> None:
        for node in self.nodes:
            node.start()
            node.create_database(DATABASE)
            with node.connect(DATABASE, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION citus")
        with self.connect() as conn:
            conn.execute(
                "SELECT citus_set_coordinator_host('127.0.0.1', %s)", [self.coordinator.port]
            )
            for worker in self.workers:
                conn.execute("SELECT citus_add_node('127.0.0.1', %s)", [worker.port])

    def stop(self) -> None:
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.stop()

    def connect(self, **kwargs) -> psycopg.Connection:
        kwargs.setdefault("autocommit", True)
        return self.coordinator.connect(DATABASE, **kwargs)

    def url(self) -> str:
        return self.coordinator.url(DATABASE)

    def worker_of(self, schema: str) -> int | None:
        """The port of the worker holding ``schema``'s tables (None: none placed yet)."""
        with self.connect() as conn:
            row = conn.execute(
                "SELECT n.nodeport FROM pg_dist_schema s "
                "JOIN pg_namespace ns ON ns.oid = s.schemaid "
                "JOIN pg_dist_partition p ON p.colocationid = s.colocationid "
                "JOIN pg_dist_shard sh ON sh.logicalrelid = p.logicalrelid "
                "JOIN pg_dist_placement pl ON pl.shardid = sh.shardid "
                "JOIN pg_dist_node n ON n.groupid = pl.groupid "
                "WHERE ns.nspname = %s AND n.noderole = 'primary' LIMIT 1",
                [schema],
            ).fetchone()
        return None if row is None else row[0]


@contextlib.contextmanager
def citus_cluster() -> Iterator[CitusCluster]:
    cluster = CitusCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
