"""Benchmark: creating a tenant's schema on Citus vs plain PostgreSQL.

Both servers are PostgreSQL 15 on this machine: one plain server, and a Citus cluster of a
coordinator and two workers on loopback (tests/hardening/citus_cluster.py). Each gets the test
project migrated (and, on Citus, ``citus_setup``), then a fresh process creates one schema
to warm up and times the next ones (``Schema.objects.create_schema``: a clone of the
template). On Citus every clone is a distributed schema: its DDL is sent on to a worker and
committed there in a two-phase commit, which is the cost measured. Needs a local Citus build;
without one the part says so and records nothing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from .proc import REPO
from .report import Target, fmt_ms, fmt_ratio, table

TITLE = "Schema creation on Citus"
SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"schemas": 3},
    "full": {"schemas": 50},
}
#: Issue 18's target: create_schema on Citus within this factor of plain PostgreSQL.
WITHIN = 3.0


def run(size: str) -> dict[str, Any]:
    from tests.hardening.citus_cluster import DATABASE, CitusCluster, citus_library
    from tests.hardening.pgcluster import Cluster

    count = SIZES[size]["schemas"]
    if citus_library() is None:
        return {"config": SIZES[size], "skipped": "Citus is not installed into PostgreSQL 15"}
    times: dict[str, list[float]] = {}
    plain = Cluster()
    try:
        plain.start()
        plain.create_database(DATABASE)
        times["plain"] = _child(plain.url(DATABASE), count, citus=False)
    finally:
        plain.stop()
    cluster = CitusCluster()
    try:
        cluster.start()
        versions = _versions(cluster)
        times["citus"] = _child(cluster.url(), count, citus=True)
    finally:
        cluster.stop()
    return {"config": SIZES[size], "times": times, "versions": versions}


def _versions(cluster: Any) -> str:
    with cluster.connect() as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        citus = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'citus'"
        ).fetchone()[0]
    return f"PostgreSQL {server.split()[0]}, Citus {citus}"


def _child(url: str, count: int, *, citus: bool) -> list[float]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SCHEMASWITCH_DB_NAME": url.rsplit("/", 1)[1],
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bench.citus", str(count), "citus" if citus else "plain"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"child failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def _ratio(result: dict[str, Any]) -> float:
    return statistics.median(result["times"]["citus"]) / statistics.median(
        result["times"]["plain"]
    )


def markdown(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"Not measured: {result['skipped']}."
    rows = []
    for server, label in (("plain", "plain PostgreSQL 15"),
                          ("citus", "Citus 3 nodes (coordinator + 2 workers)")):  # fmt: skip
        values = result["times"][server]
        rows.append([
            label, str(len(values)), fmt_ms(statistics.median(values)),
            fmt_ms(statistics.mean(values)), fmt_ms(max(values)),
            "1.00x" if server == "plain" else fmt_ratio(_ratio(result)),
        ])  # fmt: skip
    text = __doc__.split("\n\n")[1].replace("\n", " ")
    if result.get("versions"):
        text += f" Servers: {result['versions']} (not the embedded server of the other parts)."
    return text + "\n\n" + table(
        ["server", "schemas timed", "median", "mean", "max", "vs plain"], rows
    )


def targets(result: dict[str, Any]) -> list[Target]:
    if "skipped" in result:
        return [Target("create_schema on Citus within 3x of plain PostgreSQL", "–", None)]
    ratio = _ratio(result)
    return [
        Target(
            "create_schema on Citus within 3x of plain PostgreSQL (median)",
            f"{fmt_ratio(ratio)} ({fmt_ms(statistics.median(result['times']['citus']))} vs "
            f"{fmt_ms(statistics.median(result['times']['plain']))})",
            ratio <= WITHIN,
            f"{ratio - WITHIN:.1f}x",
            "Most of a clone's time on Citus is its CREATE TABLE statements: each table of a "
            "distributed schema is created on three nodes (the coordinator's shell, the "
            "worker's shard, the other worker's shell for Citus's metadata sync) in one "
            "two-phase commit. The package's own Citus form (one command per query string, "
            "one subcommand per ALTER TABLE, the reset blocks) costs little; details in "
            "[scale-out.md](scale-out.md#figures).",
        )
    ]


# -- child side -------------------------------------------------------------------------------


def _measure(count: int, citus: bool) -> list[float]:
    import django
    from django.core.management import call_command

    django.setup()
    from schemaswitch_admin.schema_model import get_schema_model

    call_command("migrate", verbosity=0)
    if citus:
        call_command("citus_setup", verbosity=0)
    Schema = get_schema_model()
    Schema.objects.create_schema("bench_warm")
    times = []
    for number in range(count):
        started = time.perf_counter()
        Schema.objects.create_schema(f"bench_{number:05d}")
        times.append((time.perf_counter() - started) * 1000)
    return times


if __name__ == "__main__":
    print(json.dumps(_measure(int(sys.argv[1]), sys.argv[2] == "citus")))
