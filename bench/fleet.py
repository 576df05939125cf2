"""Benchmark 6: a fleet of 10,000 schemas, cloned one after another, then read by one connection.

(a) Clone time from the first schema to the last: ``Schema.objects.create_schema`` in one
process, every creation timed; on sampled creations also the shared buffers PostgreSQL read
for it (``pg_stat_get_backend_io``, PostgreSQL 18), which, unlike time on a shared machine,
does not move with the load: a count that grows with the number of schemas shows growth that
a noisy clock could hide. Two apps: the example app, whose tables point at ``auth_user``
(two foreign keys per schema), and the generated app, whose foreign keys stay inside the
schema, to tell growth caused by shared tables from any other.

(b) PostgreSQL backend memory of one connection after it has read one row from every table
of 1,000 (and 10,000) schemas, as a pooled connection of a busy site eventually does:
``pg_backend_memory_contexts`` (PostgreSQL 14+) and the private memory of the server process
(``/proc/<pid>/smaps_rollup``, when the server runs on this machine as this user).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from . import appgen
from .db import db_name, fresh_databases
from .proc import SCHEMASWITCH, run_child
from .report import Target, fmt_mb, fmt_ms, fmt_ratio, table

TITLE = "A fleet of schemas: clone growth and backend memory"
SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"apps": {"projects": 12}, "marks": [12], "sample": 3},
    "medium": {"apps": {"projects": 1000, appgen.LABEL: 1000}, "marks": [1000], "sample": 10},
    # The example app stops at 1,000: its clones grow with the number of schemas (see the
    # report), so 10,000 of them would take hours; the generated app, whose clones do not
    # grow, goes to 10,000 and carries the memory measurement there.
    "full": {"apps": {"projects": 1000, appgen.LABEL: 10000}, "marks": [1000, 10000],
             "sample": 10},
}
#: Last ``sample`` clones within this ratio of the first ``sample``.
FLAT = 1.2


# -- parent side --------------------------------------------------------------------------


def run(size: str) -> dict[str, Any]:
    cfg = SIZES[size]
    apps: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        for app, count in cfg["apps"].items():
            env = {"BENCH_PRIVATE_APPS": app}
            if app == appgen.LABEL:
                env["BENCH_GEN_DIR"] = str(appgen.write_app(Path(tmp), migrations=6))
            db = db_name(f"fleet_{app}")
            with fresh_databases(db):
                # One process for both steps: a smoke run pays Django's start-up once.
                apps[app] = run_child(
                    "fleet:create", SCHEMASWITCH, db,
                    {"count": count, "sample": cfg["sample"],
                     "marks": [m for m in cfg["marks"] if m <= count],
                     "memory": app == _memory_app(cfg)},
                    **env,
                ).result
    return {"config": cfg, "apps": apps}


def _memory_app(cfg: dict[str, Any]) -> str:
    """The app whose fleet is largest: its connection touches the most schemas."""
    apps: dict[str, int] = cfg["apps"]
    return max(apps, key=lambda app: (apps[app], app == "projects"))


# -- report ---------------------------------------------------------------------------------


def _mean_ms(values: list[float]) -> float:
    return statistics.fmean(values) * 1000


def _windows(entry: dict[str, Any], sample: int) -> list[tuple[str, list[float], list[int]]]:
    """(label, times, buffer counts) of the first clones and of the last before each mark."""
    times, hits = entry["times"], entry["hits"]
    # The first creation of a process reads the template's catalog (once, then cached):
    # left out, so the first window shows the steady cost.
    out = [(f"2–{sample + 1}", times["1"], hits.get("1", []))]
    for mark in entry["marks"]:
        label = f"{mark - sample + 1:,}–{mark:,}"
        start = str(mark - sample)
        out.append((label, times[start], hits.get(start, [])))
    return out


def _growth(entry: dict[str, Any], sample: int) -> tuple[float, float | None]:
    windows = _windows(entry, sample)
    first, last = windows[0], windows[-1]
    time_ratio = _mean_ms(last[1]) / _mean_ms(first[1])
    hit_ratio = (
        statistics.fmean(last[2]) / statistics.fmean(first[2]) if first[2] and last[2] else None
    )
    return time_ratio, hit_ratio


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    sample = cfg["sample"]
    rows = []
    for app, entry in result["apps"].items():
        for label, times, hits in _windows(entry, sample):
            rows.append([
                app, f"{entry['count']:,}", label, fmt_ms(_mean_ms(times)),
                fmt_ms(statistics.median(times) * 1000),
                f"{statistics.fmean(hits):,.0f}" if hits else "–",
            ])
    lines = [
        "(a) Creating schemas one after another in one process (`create_schema`: the row, "
        "the clone of the template, one transaction). Mean and median time per schema over "
        f"{sample} consecutive creations (from the second: the first reads the template's "
        "catalog, once per process), and the shared buffers PostgreSQL read per "
        "creation (buffer hits and reads of the connection's backend, the same on a busy "
        "machine and an idle one).",
        "",
        table(["app", "schemas", "creations", "mean", "median", "buffers per clone"], rows),
        "",
        "Why the example app's clone grows: each of its schemas has two foreign keys to "
        "`auth_user` (`Project.owner` and the task–user link table). PostgreSQL implements a "
        "foreign key with two triggers on the *referenced* table, so `auth_user` carries four "
        "triggers per schema, and creating one more such key re-reads the trigger list of "
        "`auth_user` (its relation cache entry is rebuilt): that is work proportional to the "
        "number of schemas, inside PostgreSQL, for every clone. The generated app has no key "
        "to a shared table and stays flat. What the clone itself sends does not grow: the "
        "same statements whatever the number of schemas (pinned by "
        "`test_statements_per_clone_do_not_depend_on_the_number_of_schemas`).",
    ]
    measured = [(app, e["memory"]) for app, e in result["apps"].items() if e.get("memory")]
    if measured:
        app, memory = measured[0]
        what = "the example app" if app == "projects" else f"the {app} app"
        mem_rows = [
            [f"{point['schemas']:,}", fmt_mb(point["contexts"] / 2**20),
             fmt_mb(point["cache"] / 2**20),
             fmt_mb(point["private"] / 2**20) if point.get("private") is not None else "–",
             f"{point['per_schema'] / 1024:.0f} KB" if point.get("per_schema") else "–"]
            for point in memory["points"]
        ]
        lines += [
            "",
            f"(b) One connection reads one row from each table of {what} "
            f"({memory['tables']} tables) in every "
            "schema, schema after schema, as a pooled connection of a busy site eventually "
            "does. Its server process's memory afterwards: all memory contexts "
            "(`pg_backend_memory_contexts`), the catalog and relation caches among them "
            "(`CacheMemoryContext` and its children), and the process's private memory "
            "(`smaps_rollup`, shared buffers excluded).",
            "",
            table(["schemas touched", "memory contexts", "of which caches", "private memory",
                   "per schema"], mem_rows),
            "",
            "PostgreSQL never gives that memory back while the connection lives; "
            "[many-schemas.md](many-schemas.md#connection-memory-recycle-connections) says how "
            "long to keep connections.",
        ]
    return "\n".join(lines)


_GROWTH_WHY = (
    "Each schema of the example app adds two foreign keys to `auth_user`, so `auth_user` "
    "carries four triggers per schema and every clone makes PostgreSQL rebuild its trigger "
    "list (the fleet part says more). What the clone sends does not grow; an app without "
    "keys to shared tables stays flat. Removing the growth means removing those keys "
    "(`db_constraint=False` on relations to shared models), which gives up the database's "
    "check that a deleted user is not still referenced: not done by default "
    "([many-schemas.md](many-schemas.md))."
)


def targets(result: dict[str, Any]) -> list[Target]:
    sample = result["config"]["sample"]
    out = []
    for app, entry in result["apps"].items():
        time_ratio, hit_ratio = _growth(entry, sample)
        windows = _windows(entry, sample)
        measured = (
            f"{fmt_ms(_mean_ms(windows[0][1]))} → {fmt_ms(_mean_ms(windows[-1][1]))} "
            f"({fmt_ratio(time_ratio)}"
            + (f"; buffers {fmt_ratio(hit_ratio)}" if hit_ratio is not None else "")
            + ")"
        )
        # On a shared machine the clock moves more with the load than with the fleet; the
        # buffers a clone reads do not, so they decide when they were counted.
        ratio = hit_ratio if hit_ratio is not None else time_ratio
        out.append(Target(
            f"Clone cost flat up to {entry['count']:,} schemas, {app} app (last {sample} "
            f"within {FLAT}x of the 2nd to {sample + 1}th; buffers read when counted, else "
            "time)",
            measured, ratio <= FLAT, f"{fmt_ratio(ratio)} > {FLAT}x", _GROWTH_WHY,
        ))
    example = result["apps"].get("projects")
    if example:
        last = _windows(example, sample)[-1][1]
        out.append(Target(
            f"New schema by clone under 30 ms at {example['count']:,} schemas (example app)",
            fmt_ms(_mean_ms(last)), _mean_ms(last) < 30, fmt_ms(_mean_ms(last) - 30),
            _GROWTH_WHY,
        ))
    return out


# -- child side -------------------------------------------------------------------------------


def _buffers(cursor: Any) -> int | None:
    """Shared buffers this backend has read so far (hits + reads), or None before PG 18.

    Statistics reach the view when the backend is idle outside a transaction, at most once a
    second unless forced; the forced flush happens as the first statement finishes."""
    cursor.execute("SELECT pg_catalog.current_setting('server_version_num')::int")
    if cursor.fetchone()[0] < 180000:
        return None
    cursor.execute("SELECT pg_catalog.pg_stat_force_next_flush()")
    cursor.execute(
        "SELECT (sum(hits) + sum(reads))::bigint "
        "FROM pg_catalog.pg_stat_get_backend_io(pg_catalog.pg_backend_pid())"
    )
    return int(cursor.fetchone()[0] or 0)


def create(count: int, sample: int, marks: list[int], memory: bool) -> dict[str, Any]:
    """Create ``count`` schemas; time each one, and count buffers for ``sample`` creations
    after the first and the last ``sample`` before each mark. With ``memory``, then measure a fresh
    connection's backend memory as it touches them (``backend_memory``)."""
    from django.core.management import call_command
    from django.db import connection

    from schemaswitch_admin.models import Schema

    call_command("migrate", interactive=False, verbosity=0)
    counted = {1, *(m - sample for m in marks)}
    times: list[float] = []
    hits: dict[str, list[int]] = {str(start): [] for start in counted}
    window: str | None = None
    for i in range(count):
        if i in counted:
            window = str(i)
        elif window is not None and i >= int(window) + sample:
            window = None
        before = None
        if window is not None:
            with connection.cursor() as cursor:
                before = _buffers(cursor)
        started = time.perf_counter()
        Schema.objects.create_schema(f"tenant{i:05d}")
        times.append(time.perf_counter() - started)
        if before is not None and window is not None:
            with connection.cursor() as cursor:
                hits[window].append(_buffers(cursor) - before)
    # Only the windows are kept: the report compares them, and 10,000 times would bloat
    # benchmarks.json.
    windows = {str(start): times[start : start + sample] for start in sorted(counted)}
    entry = {"count": count, "marks": marks, "times": windows, "hits": hits}
    if memory:
        entry["memory"] = backend_memory(marks)
    return entry


#: All memory contexts, and CacheMemoryContext with everything under it (PostgreSQL 18 names
#: a context's ancestors in ``path``; 14 to 17 only name its parent).
_MEMORY_SQL = {
    True: """
        WITH c AS (SELECT * FROM pg_catalog.pg_backend_memory_contexts),
        cache AS (SELECT path[level] AS id, level FROM c WHERE name = 'CacheMemoryContext')
        SELECT sum(c.total_bytes)::bigint,
               sum(c.total_bytes) FILTER (WHERE c.path[cache.level] = cache.id)::bigint,
               pg_catalog.pg_backend_pid()
        FROM c, cache
    """,
    False: """
        SELECT sum(total_bytes)::bigint,
               sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext'
                                        OR parent = 'CacheMemoryContext')::bigint,
               pg_catalog.pg_backend_pid()
        FROM pg_catalog.pg_backend_memory_contexts
    """,
}


def _memory(cursor: Any) -> dict[str, Any]:
    cursor.execute("SELECT pg_catalog.current_setting('server_version_num')::int >= 180000")
    cursor.execute(_MEMORY_SQL[cursor.fetchone()[0]])
    total, cache, pid = cursor.fetchone()
    return {"contexts": int(total), "cache": int(cache or 0), "private": _private(pid)}


def _private(pid: int) -> int | None:
    """Private (unshared) memory of the server process, from ``smaps_rollup``; None when the
    server is not on this machine or not readable."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kb = sum(
        int(line.split()[1])
        for line in text.splitlines()
        if line.startswith(("Private_Clean:", "Private_Dirty:"))
    )
    return kb * 1024


def backend_memory(marks: list[int]) -> dict[str, Any]:
    """One connection reads a row from every private table of each schema in turn; its
    backend's memory is read at the start and at each mark."""
    from django.apps import apps
    from django.conf import settings
    from django.db import connection
    from psycopg import sql

    from schemaswitch_admin import schema_context
    from schemaswitch_admin.models import Schema

    names = list(Schema.objects.order_by("name").values_list("name", flat=True))
    tables = [
        model._meta.db_table
        for label in settings.PRIVATE_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    reads = [
        sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(t)).as_string(None)
        for t in tables
    ]
    connection.close()
    with connection.cursor() as cursor:
        points = [{"schemas": 0, **_memory(cursor)}]
    for done, name in enumerate(names, 1):
        with schema_context(name), connection.cursor() as cursor:
            for statement in reads:
                cursor.execute(statement)
        if done in marks:
            with connection.cursor() as cursor:
                point = {"schemas": done, **_memory(cursor)}
            point["per_schema"] = (point["contexts"] - points[0]["contexts"]) / done
            points.append(point)
    return {"tables": len(tables), "points": points}
