"""Benchmark 3: migrating a fleet of schemas.

100, 1,000 and 10,000 schemas (medium size: 100 and 1,000) of a generated app (8 models, 6
migrations): (a) ``migrate`` with nothing to apply, (b) one new migration, an ``AddField``
with a default plus an ``AddIndex``; at the largest count also with ``--jobs 2``.
Each command runs in its own process, timed from the outside (wall, including Django's
start-up) and inside (the command alone), with the process's peak RSS. The floor is the
same work done by psycopg in a loop over the schemas: (a) reading each schema's
``django_migrations``, (b) the migration's own SQL (taken from Django) plus the history row,
one transaction per schema. django-tenants' ``migrate_schemas`` (standard and
multiprocessing executors, 2 processes) runs on an identical fleet in its own database.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from psycopg import sql

from . import appgen
from .db import connect, db_name, fresh_databases
from .proc import SCHEMASWITCH, TENANTS, ChildRun, run_child, tenants_available
from .report import Target, fmt_mb, fmt_ms, fmt_ratio, fmt_s, table

TITLE = "Migrating many schemas"
SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"counts": [2, 3], "repeats": 1, "tenants_counts": [2]},
    "medium": {"counts": [100, 1000], "repeats": 1, "tenants_counts": []},
    "full": {"counts": [100, 1000, 10000], "repeats": 3, "tenants_counts": [100, 1000]},
}
#: Connections of the parallel runs (``migrate --jobs``), at the largest count only.
JOBS = 2
HISTORY = 6
TEMPLATE = "__template__"
TENANTS_BASE = "tenant_template"
EXTRA = appgen.migration_names(HISTORY, extra=True)[-1]
#: How many of django-tenants' schemas its own clone function makes (timed, reported).
OWN_CLONES = 10


# -- parent side --------------------------------------------------------------------------


def run(size: str) -> dict[str, Any]:
    cfg = SIZES[size]
    notes = []
    tenants = tenants_available()
    if not tenants:
        notes.append("django-tenants is not installed (pip install -e '.[bench]'); skipped.")
    by_count: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        gen = Path(tmp)
        for count in cfg["counts"]:
            jobs = JOBS if count == cfg["counts"][-1] else 1
            entry = {"schemaswitch": _ours(gen, count, cfg["repeats"], jobs)}
            if tenants and count in cfg["tenants_counts"]:
                entry["tenants"] = _theirs(gen, count)
            by_count[str(count)] = entry
    return {"config": cfg, "notes": notes, "counts": by_count}


def _env(gen: Path) -> dict[str, str]:
    return {"BENCH_PRIVATE_APPS": appgen.LABEL, "BENCH_GEN_DIR": str(gen)}


def _timed(child: ChildRun) -> dict[str, float]:
    return {"wall": child.wall, "command": child.result["seconds"], "rss_mb": child.max_rss_mb}


def _ours(gen: Path, count: int, repeats: int, jobs: int = 1) -> dict[str, Any]:
    db = db_name("migrate_schemaswitch")
    env = _env(gen)
    out: dict[str, Any] = {}
    with fresh_databases(db):
        appgen.write_app(gen, migrations=HISTORY)
        out["setup"] = run_child(
            "many_schemas:setup_schemaswitch", SCHEMASWITCH, db, {"count": count}, **env
        ).result
        schemas = [TEMPLATE, *out["setup"]["schemas"]]
        out["noop_floor"] = _read_histories(db, schemas)
        out["noop"] = [
            _timed(run_child("many_schemas:migrate", SCHEMASWITCH, db, {}, **env))
            for _ in range(repeats)
        ]
        if jobs > 1:
            out["noop_jobs"] = [
                _timed(run_child("many_schemas:migrate", SCHEMASWITCH, db, {"jobs": jobs}, **env))
                for _ in range(repeats)
            ]
        appgen.write_app(gen, migrations=HISTORY, extra=True)
        ddl = run_child("many_schemas:migration_sql", SCHEMASWITCH, db, {}, **env).result
        out["apply_floor"] = _apply_raw(db, schemas, ddl)
        out["apply"] = []
        for _ in range(repeats):
            _unapply_raw(db, schemas)
            out["apply"].append(
                _timed(run_child("many_schemas:migrate", SCHEMASWITCH, db, {}, **env))
            )
            _expect_applied(db, schemas)
        if jobs > 1:
            # Alternating with --jobs 1 would be fairer on a busy machine; the runs above
            # and these are back to back, which is as close as it gets here.
            out["jobs"] = jobs
            out["apply_jobs"] = []
            for _ in range(repeats):
                _unapply_raw(db, schemas)
                out["apply_jobs"].append(
                    _timed(run_child("many_schemas:migrate", SCHEMASWITCH, db, {"jobs": jobs},
                                     **env))
                )
                _expect_applied(db, schemas)
        out["sql"] = ddl
    return out


def _theirs(gen: Path, count: int) -> dict[str, Any]:
    db = db_name("migrate_tenants")
    env = _env(gen)
    out: dict[str, Any] = {}
    with fresh_databases(db):
        appgen.write_app(gen, migrations=HISTORY)
        own = min(count, OWN_CLONES)
        out["setup"] = run_child(
            "many_schemas:setup_tenants", TENANTS, db, {"count": count, "own_clones": own}, **env
        ).result
        names = out["setup"]["schemas"]
        # The rest of the fleet by our clone (django-tenants' takes seconds per schema once
        # there are hundreds): the same tables and history rows, made in a fraction.
        out["setup"]["seconds"] = run_child(
            "many_schemas:clone_fleet", SCHEMASWITCH, db,
            {"source": TENANTS_BASE, "names": names[own:]}, **env,
        ).result["seconds"]
        schemas = [TENANTS_BASE, *names]
        for executor in ("standard", "multiprocessing"):
            out[f"noop_{executor}"] = _timed(
                run_child("many_schemas:migrate_tenants", TENANTS, db, {"executor": executor},
                          **env)
            )
        appgen.write_app(gen, migrations=HISTORY, extra=True)
        for executor in ("standard", "multiprocessing"):
            _unapply_raw(db, schemas)
            out[f"apply_{executor}"] = _timed(
                run_child("many_schemas:migrate_tenants", TENANTS, db, {"executor": executor},
                          **env)
            )
            _expect_applied(db, schemas)
    return out


def _read_histories(db: str, schemas: list[str]) -> float:
    """The floor of "nothing to apply": read every schema's history, one query each."""
    with connect(db, autocommit=True) as conn:
        started = time.perf_counter()
        for schema in schemas:
            conn.execute(
                sql.SQL("SELECT app, name FROM {}.django_migrations").format(
                    sql.Identifier(schema)
                )
            ).fetchall()
        return time.perf_counter() - started


def _apply_raw(db: str, schemas: list[str], statements: list[str]) -> float:
    """The floor of applying the migration: its SQL and the history row, per schema."""
    record = sql.SQL(
        "INSERT INTO django_migrations (app, name, applied) VALUES ({}, {}, now())"
    ).format(sql.Literal(appgen.LABEL), sql.Literal(EXTRA))
    with connect(db) as conn:
        started = time.perf_counter()
        for schema in schemas:
            with conn.transaction():
                conn.execute(
                    sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema))
                )
                for statement in statements:
                    conn.execute(statement.encode())
                conn.execute(record)
        elapsed = time.perf_counter() - started
    _expect_applied(db, schemas)
    return elapsed


def _unapply_raw(db: str, schemas: list[str]) -> None:
    """Undo the new migration wherever it is applied (drops the column and its index)."""
    with connect(db) as conn:
        for start in range(0, len(schemas), 100):
            with conn.transaction():
                for schema in schemas[start : start + 100]:
                    table = sql.Identifier(schema, appgen.table_name(0))
                    conn.execute(
                        sql.SQL("ALTER TABLE {} DROP COLUMN IF EXISTS {}").format(
                            table, sql.Identifier(appgen.EXTRA_FIELD[0])
                        )
                    )
                    conn.execute(
                        sql.SQL("DELETE FROM {} WHERE app = %s AND name = %s").format(
                            sql.Identifier(schema, "django_migrations")
                        ),
                        [appgen.LABEL, EXTRA],
                    )


def _expect_applied(db: str, schemas: list[str]) -> None:
    with connect(db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ANY(%s) AND c.relname = %s AND a.attname = %s "
            "AND NOT a.attisdropped",
            [schemas, appgen.table_name(0), appgen.EXTRA_FIELD[0]],
        ).fetchone()
    if not row or row[0] != len(schemas):
        raise RuntimeError(
            f"the new column is in {row[0] if row else 0} of {len(schemas)} schemas"
        )


# -- report ---------------------------------------------------------------------------------


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _rows(result: dict[str, Any], phase: str) -> list[list[str]]:
    rows = []
    for count, entry in result["counts"].items():
        n = int(count) + 1  # the template (or django-tenants' base tenant) too
        ours = entry["schemaswitch"]
        floor = ours[f"{phase}_floor"]
        runs = ours[phase]
        command = _median(runs, "command")
        rows.append(
            [
                f"{int(count):,}", "schemaswitch_admin `migrate`", fmt_s(_median(runs, "wall")),
                fmt_s(command), fmt_ms(command / n * 1000),
                fmt_mb(max(r["rss_mb"] for r in runs)), fmt_s(floor),
                fmt_ratio(command / floor),
            ]
        )
        parallel = ours.get(f"{phase}_jobs")
        if parallel:
            command = _median(parallel, "command")
            rows.append(
                [
                    f"{int(count):,}", f"schemaswitch_admin `migrate --jobs {ours['jobs']}`",
                    fmt_s(_median(parallel, "wall")), fmt_s(command),
                    fmt_ms(command / n * 1000), fmt_mb(max(r["rss_mb"] for r in parallel)),
                    fmt_s(floor), fmt_ratio(command / floor),
                ]
            )
        theirs = entry.get("tenants")
        if theirs:
            for executor, label in (("standard", "standard"), ("multiprocessing", "2 processes")):
                run = theirs[f"{phase}_{executor}"]
                rows.append(
                    [
                        f"{int(count):,}", f"django-tenants `migrate_schemas` ({label})",
                        fmt_s(run["wall"]), fmt_s(run["command"]),
                        fmt_ms(run["command"] / n * 1000), fmt_mb(run["rss_mb"]), fmt_s(floor),
                        fmt_ratio(run["command"] / floor),
                    ]
                )
    return rows


HEADER = [
    "schemas", "command", "wall (process)", "command alone", "per schema", "peak RSS",
    "raw floor", "vs floor",
]


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    first = next(iter(result["counts"].values()))["schemaswitch"]
    setup_lines = []
    for count, entry in result["counts"].items():
        text = (
            f"* {int(count):,} schemas: schemaswitch_admin created them by cloning in "
            f"{fmt_s(entry['schemaswitch']['setup']['seconds'])}"
        )
        if "tenants" in entry:
            setup = entry["tenants"]["setup"]
            text += (
                f"; django-tenants' tenant rows by `bulk_create`, the first "
                f"{setup['own_clones']} schemas by its own clone function (`clone_schema`, "
                "mode DATA, which copies the base tenant's history rows) at "
                f"{fmt_s(setup['own_clone_seconds'] / max(setup['own_clones'], 1))} per "
                "schema, the others copied from its base tenant by schemaswitch_admin's "
                f"clone in {fmt_s(setup['seconds'])} (the same tables and history rows)"
            )
        setup_lines.append(text + ".")
    lines = [
        f"A generated app (8 models with foreign keys, unique constraints and indexes, "
        f"{HISTORY} migrations). Each command ran in its own process at its default "
        "verbosity (output to a file); \"per schema\" divides the command's own time by the "
        "schemas it visited (the template, or django-tenants' base tenant, included). "
        "schemaswitch_admin's figures are the median of "
        f"{cfg['repeats']} runs, django-tenants' of one. Peak RSS of a process pool is its "
        "largest process. At the largest count `migrate --jobs 2` ran too (two threads, "
        "each with its own connection, on a machine with two cores that PostgreSQL shares).",
        "",
        "(a) Nothing to apply. Floor: one `SELECT` of `django_migrations` per schema.",
        "",
        table(HEADER, _rows(result, "noop")),
        "",
        "(b) One new migration (`AddField` with a default + `AddIndex`). Floor: the same SQL "
        "and history row sent by psycopg, one transaction per schema.",
        "",
        table(HEADER, _rows(result, "apply")),
        "",
        "The migration's SQL (from Django's schema editor):",
        "",
        *[f"* `{statement}`" for statement in first["sql"]],
        "",
        "How the fleets were made:",
        "",
        *setup_lines,
    ]
    lines += [f"\n{note}" for note in result["notes"]]
    return "\n".join(lines)


def targets(result: dict[str, Any]) -> list[Target]:
    counts = list(result["counts"])
    small, large = counts[0], counts[-1]
    n_small, n_large = f"{int(small):,}", f"{int(large):,}"
    big = result["counts"][large]["schemaswitch"]
    noop = _median(big["noop"], "command")
    noop_wall = _median(big["noop"], "wall")
    apply = _median(big["apply"], "command")
    apply_wall = _median(big["apply"], "wall")
    floor = big["apply_floor"]
    per_small = {
        phase: _median(result["counts"][small]["schemaswitch"][phase], "command")
        / (int(small) + 1)
        for phase in ("noop", "apply")
    }
    per_large = {
        phase: _median(big[phase], "command") / (int(large) + 1) for phase in ("noop", "apply")
    }
    growth = max(per_large[p] / per_small[p] for p in per_large)
    rss = max(r["rss_mb"] for entry in result["counts"].values()
              for phase in ("noop", "apply", "noop_jobs", "apply_jobs")
              for r in entry["schemaswitch"].get(phase, []))
    parallel = []
    if big.get("apply_jobs"):
        jobs_wall = _median(big["apply_jobs"], "wall")
        speedup = apply_wall / jobs_wall
        parallel.append(
            Target(
                f"{n_large} schemas, AddField + AddIndex: `--jobs {big['jobs']}` faster than "
                "one job (2 cores shared with PostgreSQL)",
                f"{fmt_ratio(speedup)} ({fmt_s(apply_wall)} → {fmt_s(jobs_wall)}, wall; "
                f"vs floor {fmt_ratio(jobs_wall / floor)})",
                speedup > 1,
                f"{fmt_ratio(speedup)}",
            )
        )
    return parallel + [
        Target(
            f"{n_large} schemas, nothing to apply, under 5 s (wall)",
            f"{fmt_s(noop_wall)} (command alone {fmt_s(noop)})",
            noop_wall < 5,
            fmt_s(noop_wall - 5),
        ),
        Target(
            f"{n_large} schemas, AddField + AddIndex within 2x the raw floor (whole process "
            "vs the floor loop)",
            f"{fmt_ratio(apply_wall / floor)} ({fmt_s(apply_wall)} vs {fmt_s(floor)}; "
            f"command alone {fmt_ratio(apply / floor)})",
            apply_wall / floor <= 2,
            f"{fmt_ratio(apply_wall / floor)} > 2x",
        ),
        Target(
            f"Per-schema cost flat from {n_small} to {n_large} schemas (within 1.25x)",
            ", ".join(
                f"{p}: {fmt_ms(per_small[p] * 1000)} → {fmt_ms(per_large[p] * 1000)}"
                for p in per_large
            ),
            growth <= 1.25,
            f"{fmt_ratio(growth)} > 1.25x",
        ),
        Target("Peak memory under 150 MB", fmt_mb(rss), rss < 150, fmt_mb(rss - 150)),
    ]


# -- child side -------------------------------------------------------------------------------


def setup_schemaswitch(count: int) -> dict[str, Any]:
    from django.core.management import call_command

    from schemaswitch_admin.models import Schema

    call_command("migrate", interactive=False, verbosity=0)
    names = [f"tenant{i:05d}" for i in range(count)]
    started = time.perf_counter()
    for name in names:
        Schema.objects.create_schema(name)
    return {"schemas": names, "seconds": time.perf_counter() - started}


def setup_tenants(count: int, own_clones: int) -> dict[str, Any]:
    """Public and the base tenant by migrations, the tenant rows by ``bulk_create`` (``save()``
    would run a faked ``migrate_schemas`` per tenant), and the first ``own_clones`` schemas
    by django-tenants' clone function (mode DATA, which copies the base's history rows)."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_tenants.clone import CloneSchema
    from django_tenants.utils import get_tenant_model

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    tenant_model = get_tenant_model()
    tenant_model(schema_name=TENANTS_BASE, name="base").save(verbosity=0)
    names = [f"tenant{i:05d}" for i in range(count)]
    tenant_model.objects.bulk_create(tenant_model(schema_name=n, name=n) for n in names)
    cloner = CloneSchema()
    started = time.perf_counter()
    for name in names[:own_clones]:
        with transaction.atomic():
            cloner.clone_schema(TENANTS_BASE, name, "DATA")
    seconds = time.perf_counter() - started
    connection.set_schema_to_public()
    return {"schemas": names, "own_clones": own_clones, "own_clone_seconds": seconds}


def clone_fleet(source: str, names: list[str]) -> dict[str, Any]:
    """Copy ``source`` (structure and migration history) into each of ``names``."""
    from schemaswitch_admin.cloning import clone_schema

    started = time.perf_counter()
    for name in names:
        clone_schema(source, name)
    return {"seconds": time.perf_counter() - started}


def migrate(jobs: int = 1) -> dict[str, float]:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, jobs=jobs)
    return {"seconds": time.perf_counter() - started}


def migrate_tenants(executor: str) -> dict[str, float]:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, executor=executor)
    return {"seconds": time.perf_counter() - started}


def migration_sql() -> list[str]:
    """The new migration's SQL as Django's schema editor writes it (``sqlmigrate``)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from schemaswitch_admin import schema_context

    with schema_context(TEMPLATE):
        executor = MigrationExecutor(connection)
        migration = executor.loader.get_migration(appgen.LABEL, EXTRA)
        statements = executor.loader.collect_sql([(migration, False)])
    return [s for s in statements if s.strip() and not s.lstrip().startswith("--")]
