"""Benchmark: the pages that list schemas, for a superuser, at 1,000 and 10,000 schemas.

The header selector (on the admin index), the chooser (first page, and a search's second
page), the Schema admin's changelist (by name, and sorted by member count) and
``list_schemas``. Their statement counts must not depend on the number of schemas, and no
page may list more schemas than its limit.

The schemas are ``Schema`` rows made with ``bulk_create``, without PostgreSQL schemas: the
pages read rows only, and cloning 10,000 schemas is the creation part's business. So
``list_schemas`` finds every PostgreSQL schema missing here, and skips the size and history
reads it would do for real ones (its statements per batch are counted by the tests).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from .db import db_name, fresh_databases
from .proc import run_child
from .report import Target, fmt_ms, table

TITLE = "Admin pages over many schemas"
SETTINGS = "bench.sites.admin_pages"
SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"schemas": [20, 60], "rounds": 2},
    "full": {"schemas": [1000, 10000], "rounds": 7},
}
PAGES = {
    "admin index (header selector)": "/admin/",
    "chooser, first page": "/schemas/choose/",
    "chooser, search, page 2": "/schemas/choose/?q=branch+1&page=2",
    "Schema changelist": "/admin/schemaswitch_admin/schema/",
    "Schema changelist by members": "/admin/schemaswitch_admin/schema/?o=-4",
}
LIST_SCHEMAS = "list_schemas --format json"


# -- parent side --------------------------------------------------------------------------


def run(size: str) -> dict[str, Any]:
    cfg = SIZES[size]
    by_count: dict[str, Any] = {}
    for count in cfg["schemas"]:
        database = db_name("admin_pages")
        with fresh_databases(database):
            args = {"schemas": count, "rounds": cfg["rounds"]}
            by_count[str(count)] = run_child(
                "admin_pages:measure", SETTINGS, database, args
            ).result
    return {"config": cfg, "by_count": by_count}


# -- report ---------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    counts = list(result["by_count"])
    header = ["page"] + [f"{int(c):,} schemas" for c in counts] + ["statements", "listed"]
    rows = []
    for page in [*PAGES, LIST_SCHEMAS]:
        figures = [result["by_count"][c][page] for c in counts]
        statements = sorted({f["statements"] for f in figures})
        rows.append(
            [f"`{page}`" if page == LIST_SCHEMAS else page]
            + [f"{fmt_ms(f['ms'])} ({fmt_ms(f.get('sql_ms'))} SQL)" for f in figures]
            + [" / ".join(str(s) for s in statements), str(max(f["listed"] for f in figures))]
        )
    return "\n".join(
        [
            "A superuser (who may use every schema) loads each page through Django's test "
            "client in one process; median of "
            f"{result['config']['rounds']} loads after one warm-up. The schemas are rows "
            "without PostgreSQL schemas (the pages read rows only). \"statements\" is the "
            "count at each size (one figure when it is the same at every size); \"listed\" "
            "is the most schemas one response lists (options, buttons, rows, JSON items). "
            "\"SQL\" is the part of the last load spent in statements; the rest is Python "
            "(Django's views and templates).",
            "",
            table(header, rows),
        ]
    )


def targets(result: dict[str, Any]) -> list[Target]:
    counts = list(result["by_count"])
    growing = [
        page
        for page in PAGES
        if len({result["by_count"][c][page]["statements"] for c in counts}) > 1
    ]
    largest = result["by_count"][counts[-1]]
    too_long = [page for page in PAGES if largest[page]["listed"] > largest[page]["limit"]]
    return [
        Target(
            "Admin pages: same statements at every schema count",
            "same" if not growing else ", ".join(growing),
            not growing,
            f"{len(growing)} page(s)",
        ),
        Target(
            "Admin pages: no page lists more schemas than its limit",
            f"at most {max(largest[p]['listed'] for p in PAGES)} listed",
            not too_long,
            ", ".join(too_long),
        ),
    ]


# -- child side -------------------------------------------------------------------------------


def measure(schemas: int, rounds: int) -> dict[str, Any]:
    import io
    import re

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from schemaswitch_admin import conf
    from schemaswitch_admin.models import Schema

    call_command("migrate", interactive=False, verbosity=0)
    Schema.objects.bulk_create(
        (Schema(name=f"branch_{i:05d}", display_name=f"Branch {i}") for i in range(schemas)),
        batch_size=5000,
    )
    user = get_user_model().objects.create_superuser("root", "root@example.com", "root")
    client = Client()
    client.force_login(user)
    out: dict[str, Any] = {}
    limits = {
        "admin index (header selector)": conf.selector_limit(),
        "chooser, first page": conf.chooser_page_size(),
        "chooser, search, page 2": conf.chooser_page_size(),
        "Schema changelist": 100,
        "Schema changelist by members": 100,
    }
    listed_by = {
        "admin index (header selector)": re.compile(r'<option value="branch_'),
        "chooser, first page": re.compile(r'name="schema" value="branch_'),
        "chooser, search, page 2": re.compile(r'name="schema" value="branch_'),
        "Schema changelist": re.compile(r'name="_selected_action"'),
        "Schema changelist by members": re.compile(r'name="_selected_action"'),
    }
    for page, url in PAGES.items():
        client.get(url)
        times = []
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        html = response.content.decode()
        out[page] = {
            "ms": statistics.median(times) * 1000,
            "sql_ms": _sql_ms(queries),
            "statements": len(queries),
            "listed": len(listed_by[page].findall(html)),
            "limit": limits[page],
        }
    times = []
    for _ in range(rounds):
        buffer = io.StringIO()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call_command("list_schemas", format="json", stdout=buffer)
            times.append(time.perf_counter() - started)
    out[LIST_SCHEMAS] = {
        "ms": statistics.median(times) * 1000,
        "sql_ms": _sql_ms(queries),
        "statements": len(queries),
        "listed": buffer.getvalue().count('"name": '),
        "limit": schemas,
    }
    return out


def _sql_ms(queries: Any) -> float:
    """Time spent in the statements of the last load, as Django's debug cursor saw it."""
    return sum(float(q["time"]) for q in queries.captured_queries) * 1000
