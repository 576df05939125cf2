"""Benchmark 5: one tenant's data through ``snapshot save|load`` (COPY) against
``dumpdata``/``loaddata --schema`` (fixtures), both with schemaswitch_admin.

The same rows of the example app (clients, their projects, tasks and task assignees) are
written to a file and loaded into the emptied tables of another schema, each command in a
process of its own and timed inside it. Rounds alternate the two ways; the last round checks
that the schema loaded from the snapshot dumps exactly like the source.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from .db import db_name, fresh_databases
from .proc import SCHEMASWITCH, run_child
from .report import Target, fmt_ratio, fmt_s, table

TITLE = "Per-tenant snapshot"
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"clients": 100, "projects_per_client": 3, "tasks_per_project": 2, "rounds": 1},
    # 10,000 + 30,000 + 60,000 = 100,000 rows (and 60,000 task-assignee links). One round:
    # dumpdata + loaddata of that many rows take minutes, and the margin on the target is wide.
    "full": {"clients": 10000, "projects_per_client": 3, "tasks_per_project": 2, "rounds": 1},
}
WAYS = {"fixtures": "dumpdata / loaddata (JSON)", "snapshot": "snapshot save / load (COPY)"}
SOURCE, TARGET = "acme", "copy"


def rows_of(cfg: dict[str, int]) -> int:
    clients = cfg["clients"]
    projects = clients * cfg["projects_per_client"]
    return clients + projects + projects * cfg["tasks_per_project"]


# -- parent side --------------------------------------------------------------------------


def run(size: str) -> dict[str, Any]:
    cfg = SIZES[size]
    database = db_name("snapshot")
    times: dict[str, dict[str, list[float]]] = {w: {"save": [], "load": []} for w in WAYS}
    files: dict[str, int] = {}
    equal = None
    with fresh_databases(database), tempfile.TemporaryDirectory() as tmp:
        run_child("snapshot:setup", SCHEMASWITCH, database, cfg)
        for round_no in range(cfg["rounds"]):
            order = list(WAYS) if round_no % 2 == 0 else list(WAYS)[::-1]
            last = round_no == cfg["rounds"] - 1
            for way in order:
                path = str(Path(tmp) / ("acme.json" if way == "fixtures" else "acme.tar"))
                saved = run_child(
                    "snapshot:save", SCHEMASWITCH, database, {"way": way, "path": path}
                ).result
                times[way]["save"].append(saved["seconds"])
                files[way] = saved["bytes"]
                loaded = run_child(
                    "snapshot:load",
                    SCHEMASWITCH,
                    database,
                    {"way": way, "path": path, "compare": last},
                ).result
                times[way]["load"].append(loaded["seconds"])
                if last and way == "snapshot":
                    equal = loaded["equal"]
    if equal is not True:
        raise RuntimeError("the schema loaded from the snapshot does not dump like the source")
    return {"config": cfg, "rows": rows_of(cfg), "bytes": files, "times": times, "equal": equal}


# -- report ---------------------------------------------------------------------------------


def _ratio(result: dict[str, Any], step: str) -> float:
    """Median of the per-round speed-ups (fixtures time / snapshot time)."""
    t = result["times"]
    return statistics.median(
        f / s for f, s in zip(t["fixtures"][step], t["snapshot"][step], strict=True)
    )


def _round_trip_ratio(result: dict[str, Any]) -> float:
    t = result["times"]
    return statistics.median(
        (fs + fl) / (ss + sl)
        for fs, fl, ss, sl in zip(
            t["fixtures"]["save"],
            t["fixtures"]["load"],
            t["snapshot"]["save"],
            t["snapshot"]["load"],
            strict=True,
        )
    )


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    rows = []
    for way, label in WAYS.items():
        steps = result["times"][way]
        speedup = way == "snapshot"
        rows.append(
            [
                label,
                fmt_s(statistics.median(steps["save"])),
                fmt_ratio(_ratio(result, "save")) if speedup else "1.00x",
                fmt_s(statistics.median(steps["load"])),
                fmt_ratio(_ratio(result, "load")) if speedup else "1.00x",
                f"{result['bytes'][way] / 1e6:.1f} MB",
            ]
        )
    return "\n".join(
        [
            f"{result['rows']:,} rows of the example app ({cfg['clients']:,} clients, "
            f"{cfg['clients'] * cfg['projects_per_client']:,} projects, "
            f"{cfg['clients'] * cfg['projects_per_client'] * cfg['tasks_per_project']:,} tasks, "
            "plus one assignee link per task) in schema "
            f"`{SOURCE}`, saved to a file and loaded into the emptied schema `{TARGET}`: "
            f"`dumpdata projects --schema {SOURCE} -o acme.json` and `loaddata acme.json "
            f"--schema {TARGET}` against `snapshot save {SOURCE} acme.tar` and `snapshot load "
            f"acme.tar {TARGET}`. Each command in its own process, timed inside it; median of "
            f"{cfg['rounds']} rounds, speed-ups per round, then the median. The schema loaded "
            "from the snapshot dumps byte for byte like the source.",
            "",
            table(["way", "save", "speed-up", "load", "speed-up", "file"], rows),
        ]
    )


def targets(result: dict[str, Any]) -> list[Target]:
    ratio = _round_trip_ratio(result)
    return [
        Target(
            "Snapshot: save + load at least 10x faster than dumpdata + loaddata (100k rows)",
            fmt_ratio(ratio),
            ratio >= 10 if result["rows"] >= 100_000 else None,
            f"{10 - ratio:.1f}x",
        )
    ]


# -- child side -------------------------------------------------------------------------------


def setup(clients: int, projects_per_client: int, tasks_per_project: int, **_: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from projects.models import Client, Project, Task

    from schemaswitch_admin import schema_context
    from schemaswitch_admin.models import Schema

    call_command("migrate", interactive=False, verbosity=0)
    Schema.objects.create_schema(SOURCE)
    Schema.objects.create_schema(TARGET)
    user = get_user_model().objects.create(username="worker")
    with schema_context(SOURCE):
        client_rows = Client.objects.bulk_create(
            (Client(name=f"Client {i:05d}", email=f"c{i}@example.com") for i in range(clients)),
            batch_size=5000,
        )
        project_rows = Project.objects.bulk_create(
            (
                Project(client=c, name=f"Project {j}", status="active")
                for c in client_rows
                for j in range(projects_per_client)
            ),
            batch_size=5000,
        )
        tasks = Task.objects.bulk_create(
            (
                Task(project=p, title=f"Task {k}")
                for p in project_rows
                for k in range(tasks_per_project)
            ),
            batch_size=5000,
        )
        Task.assignees.through.objects.bulk_create(
            (Task.assignees.through(task_id=t.pk, user_id=user.pk) for t in tasks),
            batch_size=5000,
        )


def save(way: str, path: str) -> dict[str, Any]:
    import os

    from django.core.management import call_command

    started = time.perf_counter()
    if way == "fixtures":
        call_command("dumpdata", "projects", schema=SOURCE, output=path, verbosity=0)
    else:
        call_command("snapshot", "save", SOURCE, path, verbosity=0)
    return {"seconds": time.perf_counter() - started, "bytes": os.path.getsize(path)}


def load(way: str, path: str, compare: bool) -> dict[str, Any]:
    import io

    from django.core.management import call_command

    call_command("flush", schema=TARGET, interactive=False, verbosity=0)
    started = time.perf_counter()
    if way == "fixtures":
        call_command("loaddata", path, schema=TARGET, verbosity=0)
    else:
        call_command("snapshot", "load", path, TARGET, verbosity=0)
    seconds = time.perf_counter() - started
    equal = None
    if compare:
        dumps = []
        for schema in (SOURCE, TARGET):
            out = io.StringIO()
            call_command("dumpdata", "projects", schema=schema, stdout=out)
            dumps.append(out.getvalue())
        equal = dumps[0] == dumps[1]
    return {"seconds": seconds, "equal": equal}
