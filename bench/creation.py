"""Benchmark 2: creating a tenant's schema.

schemaswitch_admin clones the template (``Schema.objects.create_schema``); the alternative is
running the migrations into a new schema (our ``migrate --schema``, or django-tenants'
default), and django-tenants can also clone a base schema (its ``clone_schema`` SQL function
plus a faked ``migrate_schemas``). Times per schema for 1, 10 and 100 new schemas of the
example app, each count in a fresh process (so "1" includes the first-use costs); then the
same with a generated app whose identical tables come from 5 or from 50 migrations, to show
what the length of the history costs.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from . import appgen
from .db import db_name, fresh_databases
from .proc import SCHEMASWITCH, TENANTS, run_child, tenants_available
from .report import Target, fmt_ms, fmt_ratio, table

TITLE = "Schema creation"
SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"counts": [2], "histories": [2, 3], "history_count": 1, "rounds": 1},
    "full": {"counts": [1, 10, 100], "histories": [5, 50], "history_count": 5, "rounds": 5},
}
METHODS = {
    "floor": "floor: the clone's SQL script sent by psycopg",
    "clone": "schemaswitch_admin: clone of the template",
    "migrate": "schemaswitch_admin: CREATE SCHEMA + migrate --schema",
    "tenants_migrate": "django-tenants: new tenant by migrations (default)",
    "tenants_clone": "django-tenants: new tenant by its clone (TENANT_BASE_SCHEMA)",
}
TEMPLATE = "__template__"
#: The clone must not cost more with a 10x longer history than this ratio.
FLAT = 1.25


# -- parent side --------------------------------------------------------------------------


def run(size: str) -> dict[str, Any]:
    cfg = SIZES[size]
    methods = ["floor", "clone", "migrate"]
    notes = []
    if tenants_available():
        methods += ["tenants_migrate", "tenants_clone"]
    else:
        notes.append("django-tenants is not installed (pip install -e '.[bench]'); skipped.")
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        example = _measure(methods, cfg["counts"], [None], 1, Path(tmp))[None]
        histories = _measure(
            methods, [cfg["history_count"] + 1], cfg["histories"], cfg["rounds"], Path(tmp)
        )
    return {
        "config": cfg,
        "notes": notes,
        # {method: {count: [seconds per schema]}}
        "example": {
            m: {c: rounds[0] for c, rounds in by_count.items()} for m, by_count in example.items()
        },
        # {history: {method: [[seconds per warm creation] per round]}}
        "histories": {
            str(h): {m: next(iter(by_count.values())) for m, by_count in per_method.items()}
            for h, per_method in histories.items()
        },
    }


def _measure(
    methods: list[str], counts: list[int], histories: list[int | None], rounds: int, tmp: Path
) -> dict[int | None, dict[str, dict[str, list[list[float]]]]]:
    """{history: {method: {count: [[seconds per schema] per round]}}}. ``None`` is the
    example app; a number, the generated app with that many migrations, whose runs leave out
    the first (cold) creation of each process. Rounds alternate the histories, so a busy
    minute of the machine does not land on one of them only."""
    tenants = any(m.startswith("tenants") for m in methods)
    envs: dict[int | None, dict[str, str]] = {}
    dbs: dict[int | None, tuple[str, str]] = {}
    for h in histories:
        if h is None:
            envs[h] = {"BENCH_PRIVATE_APPS": "projects"}
        else:
            gen_dir = appgen.write_app(tmp / f"h{h}", migrations=h)
            envs[h] = {"BENCH_PRIVATE_APPS": appgen.LABEL, "BENCH_GEN_DIR": str(gen_dir)}
        suffix = "example" if h is None else f"h{h}"
        dbs[h] = (db_name(f"create_{suffix}_schemaswitch"), db_name(f"create_{suffix}_tenants"))
    names = [n for h in histories for n in (dbs[h] if tenants else dbs[h][:1])]
    out: dict[int | None, dict[str, dict[str, list[list[float]]]]] = {
        h: {m: {} for m in methods} for h in histories
    }
    with fresh_databases(*names):
        for h in histories:
            run_child("creation:setup_schemaswitch", SCHEMASWITCH, dbs[h][0], {}, **envs[h])
            if tenants:
                run_child("creation:setup_tenants", TENANTS, dbs[h][1], {}, **envs[h])
        for round_no in range(rounds):
            shift = round_no % len(histories)
            for h in histories[shift:] + histories[:shift]:
                for count in counts:
                    for method in methods:
                        times = _create(method, count, f"{method}_{round_no}_{count}_",
                                        dbs[h], envs[h])
                        if h is not None:
                            times = times[1:]
                        out[h][method].setdefault(str(count), []).append(times)
    return out


def _create(
    method: str, count: int, prefix: str, dbs: tuple[str, str], env: dict[str, str]
) -> list[float]:
    args = {"count": count, "prefix": prefix}
    if method in ("floor", "clone", "migrate"):
        task = {"floor": "create_by_script", "clone": "create_by_clone",
                "migrate": "create_by_migrate"}[method]
        return run_child(f"creation:{task}", SCHEMASWITCH, dbs[0], args, **env).result
    clone = "1" if method == "tenants_clone" else "0"
    return run_child(
        "creation:create_tenants", TENANTS, dbs[1], args, BENCH_TENANTS_CLONE=clone, **env
    ).result


# -- report ---------------------------------------------------------------------------------


def _mean_ms(times: list[float]) -> float:
    return statistics.fmean(times) * 1000


def _history_ms(rounds: list[list[float]]) -> float:
    """The median of the rounds' medians."""
    return statistics.median(statistics.median(r) for r in rounds) * 1000


def _history_ratio(result: dict[str, Any], method: str) -> float:
    """Longest history vs shortest, per round (run back to back), then the median."""
    histories = result["histories"]
    lengths = list(histories)
    first, last = histories[lengths[0]][method], histories[lengths[-1]][method]
    return statistics.median(
        statistics.median(b) / statistics.median(a) for a, b in zip(first, last, strict=True)
    )


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    counts = [str(c) for c in cfg["counts"]]
    example = result["example"]
    rows = []
    for method, by_count in example.items():
        rows.append(
            [METHODS[method]]
            + [fmt_ms(_mean_ms(by_count[c])) for c in counts]
            + [fmt_ratio(_mean_ms(by_count[counts[-1]]) / _mean_ms(example["clone"][counts[-1]]))]
        )
    lines = [
        "The example app (`example/projects`: 4 tables with foreign keys, unique constraints "
        "and indexes, 1 migration). Mean time per new schema when creating "
        f"{', '.join(counts)} in a fresh process; the first creation of a process pays "
        "one-off costs (reading the template's catalog, loading the migration graph, "
        "creating django-tenants' SQL function). The floor is the clone's own SQL script "
        "sent by psycopg in one transaction: what PostgreSQL needs to create the objects.",
        "",
        table(
            ["method", *[f"per schema, {c} new" for c in counts], f"vs clone ({counts[-1]})"],
            rows,
        ),
        "",
        "A generated app of 8 models (8 tables with foreign keys, unique constraints and "
        "indexes) whose final tables are identical whatever the length of the history. "
        f"{cfg['rounds']} rounds alternating the two histories, each creating "
        f"{cfg['history_count'] + 1} schemas per method in a fresh process, the first of "
        "which is left out (it pays the one-off costs); the median of the rounds' medians, "
        "and the ratio taken within each round, then the median:",
        "",
    ]
    histories = result["histories"]
    lengths = list(histories)
    rows = []
    for method in example:
        rows.append(
            [METHODS[method]]
            + [fmt_ms(_history_ms(histories[h][method])) for h in lengths]
            + [fmt_ratio(_history_ratio(result, method))]
        )
    lines.append(
        table(
            ["method", *[f"{h} migrations" for h in lengths], f"{lengths[-1]} vs {lengths[0]}"],
            rows,
        )
    )
    lines += [f"\n{note}" for note in result["notes"]]
    return "\n".join(lines)


def targets(result: dict[str, Any]) -> list[Target]:
    counts = [str(c) for c in result["config"]["counts"]]
    clone_ms = _mean_ms(result["example"]["clone"][counts[-1]])
    floor_ms = _mean_ms(result["example"]["floor"][counts[-1]])
    lengths = list(result["histories"])
    ratio = _history_ratio(result, "clone")
    return [
        Target(
            f"New schema by clone under 30 ms (example app, mean of {counts[-1]})",
            f"{fmt_ms(clone_ms)} (its SQL alone: {fmt_ms(floor_ms)})",
            clone_ms < 30,
            fmt_ms(clone_ms - 30),
        ),
        Target(
            f"Clone time flat in the number of migrations ({lengths[0]} vs {lengths[-1]}, "
            f"within {FLAT:.2f}x)",
            f"{fmt_ms(_history_ms(result['histories'][lengths[0]]['clone']))} vs "
            f"{fmt_ms(_history_ms(result['histories'][lengths[-1]]['clone']))} "
            f"({fmt_ratio(ratio)})",
            ratio <= FLAT,
            f"{fmt_ratio(ratio)} > {FLAT:.2f}x",
        ),
    ]


# -- child side -------------------------------------------------------------------------------


def setup_schemaswitch() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def setup_tenants() -> None:
    """Migrate public, and make the base schema django-tenants clones (itself a tenant made
    by migrations, as its documentation suggests)."""
    from django.conf import settings
    from django.core.management import call_command
    from django_tenants.utils import get_tenant_model

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    get_tenant_model()(schema_name=settings.TENANT_BASE_SCHEMA, name="base").save(verbosity=0)


def create_by_clone(count: int, prefix: str) -> list[float]:
    from schemaswitch_admin.models import Schema

    times = []
    for i in range(count):
        started = time.perf_counter()
        Schema.objects.create_schema(f"{prefix}{i}")
        times.append(time.perf_counter() - started)
    return times


def create_by_migrate(count: int, prefix: str) -> list[float]:
    """What creating a schema costs without the clone: the row, ``CREATE SCHEMA``, and our
    ``migrate --schema`` (which loads the migration graph, as any fresh command does)."""
    from django.core.management import call_command
    from django.db import connection
    from psycopg import sql

    from schemaswitch_admin.models import Schema

    times = []
    for i in range(count):
        name = f"{prefix}{i}"
        started = time.perf_counter()
        Schema.objects.bulk_create([Schema(name=name)])  # the row without its clone
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)).as_string(None)
            )
        call_command("migrate", schemas=[name], interactive=False, verbosity=0)
        times.append(time.perf_counter() - started)
    return times


def create_tenants(count: int, prefix: str) -> list[float]:
    from django_tenants.utils import get_tenant_model

    tenant_model = get_tenant_model()
    times = []
    for i in range(count):
        started = time.perf_counter()
        tenant_model(schema_name=f"{prefix}{i}", name=f"{prefix}{i}").save(verbosity=0)
        times.append(time.perf_counter() - started)
    return times


def create_by_script(count: int, prefix: str) -> list[float]:
    """The floor of a clone: the very script ``clone_schema`` sends, by psycopg alone."""
    from django.db import connection, transaction

    from schemaswitch_admin.cloning import _script_for

    with transaction.atomic(), connection.cursor() as cursor:
        script, _bodies, _placement = _script_for(
            cursor, connection, TEMPLATE, "unused", connection.connection
        )
    connection.ensure_connection()
    raw = connection.connection
    times = []
    for i in range(count):
        text = script.compose(f"{prefix}{i}", with_data=False).as_string(raw)
        started = time.perf_counter()
        with raw.transaction():
            raw.execute(text.encode())
        times.append(time.perf_counter() - started)
    connection.schema_path.forget()
    return times
