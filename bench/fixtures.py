"""Benchmark 4: ``dumpdata --schema`` / ``loaddata --schema`` against plain Django.

The same rows of the example app (clients, their projects and tasks) are dumped to JSON and
loaded back into empty tables, by stock Django on one schema and by schemaswitch_admin's
commands in a schema. Rounds alternate the two setups; each command runs in its own
process and is timed inside it (the command alone).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from .db import db_name, fresh_databases
from .proc import PLAIN, SCHEMASWITCH, run_child
from .report import Target, fmt_ratio, fmt_s, table

TITLE = "Fixtures"
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"clients": 10, "projects_per_client": 3, "tasks_per_project": 2, "rounds": 1},
    "full": {"clients": 1000, "projects_per_client": 3, "tasks_per_project": 2, "rounds": 5},
}
SETTINGS = {"plain": PLAIN, "schemaswitch": SCHEMASWITCH}
LABELS = {"plain": "plain Django", "schemaswitch": "schemaswitch_admin (--schema)"}
SOURCE, TARGET = "acme", "copy"
TABLES = ["projects_task_assignees", "projects_task", "projects_project", "projects_client"]


def rows_of(cfg: dict[str, int]) -> int:
    clients = cfg["clients"]
    projects = clients * cfg["projects_per_client"]
    return clients + projects + projects * cfg["tasks_per_project"]


# -- parent side --------------------------------------------------------------------------


def run(size: str) -> dict[str, Any]:
    cfg = SIZES[size]
    variants = list(SETTINGS)
    databases = {v: db_name(f"fixtures_{v}") for v in variants}
    times: dict[str, dict[str, list[float]]] = {v: {"dump": [], "load": []} for v in variants}
    sizes: dict[str, int] = {}
    with fresh_databases(*databases.values()), tempfile.TemporaryDirectory() as tmp:
        for v in variants:
            run_child("fixtures:setup", SETTINGS[v], databases[v], {"variant": v, **cfg})
        for round_no in range(cfg["rounds"]):
            order = variants if round_no % 2 == 0 else variants[::-1]
            for v in order:
                path = str(Path(tmp) / f"{v}.json")
                args = {"variant": v, "path": path}
                dumped = run_child("fixtures:dump", SETTINGS[v], databases[v], args).result
                times[v]["dump"].append(dumped["seconds"])
                sizes[v] = dumped["objects"]
                loaded = run_child("fixtures:load", SETTINGS[v], databases[v], args).result
                times[v]["load"].append(loaded["seconds"])
    if len(set(sizes.values())) != 1:
        raise RuntimeError(f"the setups dumped different numbers of objects: {sizes}")
    return {"config": cfg, "rows": rows_of(cfg), "objects": sizes, "times": times}


# -- report ---------------------------------------------------------------------------------


def _ratio(result: dict[str, Any], step: str) -> float:
    """Median of the per-round ratios (the two setups of a round ran back to back)."""
    t = result["times"]
    return statistics.median(
        a / b for a, b in zip(t["schemaswitch"][step], t["plain"][step], strict=True)
    )


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    rows = []
    for v, steps in result["times"].items():
        rows.append(
            [LABELS[v]]
            + [
                item
                for step in ("dump", "load")
                for item in (
                    fmt_s(statistics.median(steps[step])),
                    "1.00x" if v == "plain" else fmt_ratio(_ratio(result, step)),
                )
            ]
        )
    return "\n".join(
        [
            f"{result['rows']:,} rows of the example app ({cfg['clients']:,} clients, "
            f"{cfg['clients'] * cfg['projects_per_client']:,} projects, "
            f"{cfg['clients'] * cfg['projects_per_client'] * cfg['tasks_per_project']:,} "
            "tasks), JSON. `dumpdata projects -o FILE` and `loaddata FILE` (into emptied "
            f"tables); with schemaswitch_admin from schema `{SOURCE}` and into schema "
            f"`{TARGET}`. Median of {cfg['rounds']} rounds; ratios per round, then the "
            "median.",
            "",
            table(["setup", "dumpdata", "vs plain", "loaddata", "vs plain"], rows),
        ]
    )


def targets(result: dict[str, Any]) -> list[Target]:
    out = []
    for step in ("dump", "load"):
        ratio = _ratio(result, step)
        out.append(
            Target(
                f"Fixtures: {step}data within 10 % of plain Django",
                fmt_ratio(ratio),
                ratio <= 1.10,
                f"{(ratio - 1.10) * 100:.1f} points",
            )
        )
    return out


# -- child side -------------------------------------------------------------------------------


def setup(variant: str, clients: int, projects_per_client: int, tasks_per_project: int,
          **_: Any) -> None:
    from contextlib import nullcontext

    from django.core.management import call_command
    from projects.models import Client, Project, Task

    call_command("migrate", interactive=False, verbosity=0)
    context: Any = nullcontext()
    if variant == "schemaswitch":
        from schemaswitch_admin import schema_context
        from schemaswitch_admin.models import Schema

        Schema.objects.create_schema(SOURCE)
        Schema.objects.create_schema(TARGET)
        context = schema_context(SOURCE)
    with context:
        client_rows = Client.objects.bulk_create(
            Client(name=f"Client {i:05d}", email=f"c{i}@example.com") for i in range(clients)
        )
        project_rows = Project.objects.bulk_create(
            Project(client=c, name=f"Project {j}", status="active")
            for c in client_rows
            for j in range(projects_per_client)
        )
        Task.objects.bulk_create(
            Task(project=p, title=f"Task {k}") for p in project_rows
            for k in range(tasks_per_project)
        )


def dump(variant: str, path: str) -> dict[str, Any]:
    import json

    from django.core.management import call_command

    options: dict[str, Any] = {"output": path, "verbosity": 0}
    if variant == "schemaswitch":
        options["schema"] = SOURCE
    started = time.perf_counter()
    call_command("dumpdata", "projects", **options)
    seconds = time.perf_counter() - started
    with open(path) as fh:
        objects = len(json.load(fh))
    return {"seconds": seconds, "objects": objects}


def load(variant: str, path: str) -> dict[str, Any]:
    from contextlib import nullcontext

    from django.core.management import call_command
    from django.db import connection
    from psycopg import sql

    options: dict[str, Any] = {"verbosity": 0}
    context: Any = nullcontext()
    if variant == "schemaswitch":
        from schemaswitch_admin import schema_context

        options["schema"] = TARGET
        context = schema_context(TARGET)
    with context, connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY")
            .format(sql.SQL(", ").join(sql.Identifier(t) for t in TABLES))
            .as_string(None)
        )
    started = time.perf_counter()
    call_command("loaddata", path, **options)
    return {"seconds": time.perf_counter() - started}
