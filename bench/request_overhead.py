"""Benchmark 1: what the tenancy layer adds to a request.

The same signed-in user asks for the same list of 10 clients, served by plain Django (one
schema), by schemaswitch_admin (schema chosen in the session, membership re-checked), by
schemaswitch_admin with its schema-aware session engine (the check rides on the session read)
and by django-tenants (tenant from the host name). We count the SQL statements of one request
(``SET search_path`` apart) and time many requests through Django's test client and through
gunicorn on 127.0.0.1 with a keep-alive HTTP client. Rounds alternate the setups so that
a slow minute of the shared machine hits all of them. The Python cost of the middleware is
measured with cProfile.
"""

from __future__ import annotations

import contextlib
import http.client
import statistics
import time
from typing import Any

from .db import db_name, fresh_databases
from .proc import (
    PLAIN,
    SCHEMASWITCH,
    SCHEMASWITCH_SESSIONS,
    TENANTS,
    Server,
    gunicorn_available,
    run_child,
    tenants_available,
)
from .report import Target, fmt_ms, fmt_ratio, table

TITLE = "Request overhead"
SETTINGS = {
    "plain": PLAIN,
    "schemaswitch": SCHEMASWITCH,
    "engine": SCHEMASWITCH_SESSIONS,
    "tenants": TENANTS,
}
LABELS = {
    "plain": "plain Django",
    "schemaswitch": "schemaswitch_admin",
    "engine": "schemaswitch_admin + session engine",
    "tenants": "django-tenants",
}
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"rows": 10, "rounds": 1, "warmup": 2, "requests": 5, "blocks": 2, "block": 3,
             "profiled": 5},
    "full": {"rows": 10, "rounds": 10, "warmup": 100, "requests": 300, "blocks": 60,
             "block": 25, "profiled": 300},
}
HOSTS = {
    "plain": "localhost",
    "schemaswitch": "localhost",
    "engine": "localhost",
    "tenants": "acme.localhost",
}
#: The variants that run SchemaSwitchMiddleware.
OURS = ("schemaswitch", "engine")
SCHEMA = "acme"


# -- parent side --------------------------------------------------------------------------


def run(size: str) -> dict[str, Any]:
    cfg = SIZES[size]
    variants = ["plain", "schemaswitch", "engine"]
    notes: list[str] = []
    if tenants_available():
        variants.append("tenants")
    else:
        notes.append("django-tenants is not installed (pip install -e '.[bench]'); skipped.")
    databases = {v: db_name(f"req_{v}") for v in variants}
    client: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    server: dict[str, list[float]] = {v: [] for v in variants}
    with fresh_databases(*databases.values()):
        setups = {
            v: run_child(
                "request_overhead:setup", SETTINGS[v], databases[v], {"variant": v, **cfg}
            ).result
            for v in variants
        }
        for round_no in range(cfg["rounds"]):
            for v in _rotated(variants, round_no):
                args = {"variant": v, **setups[v], **cfg}
                client[v].append(
                    run_child("request_overhead:measure", SETTINGS[v], databases[v], args).result
                )
        if gunicorn_available():
            server = _serve_interleaved(variants, databases, setups, cfg)
        else:
            notes.append("gunicorn is not installed (pip install -e '.[bench]'); no server run.")
    return _summarise(variants, client, server, cfg, notes)


def _rotated(items: list[str], by: int) -> list[str]:
    by %= len(items)
    return items[by:] + items[:by]


def _serve_interleaved(
    variants: list[str],
    databases: dict[str, str],
    setups: dict[str, dict[str, Any]],
    cfg: dict[str, int],
) -> dict[str, list[float]]:
    """All setups' servers run at once and the client alternates between them in small
    blocks, so a busy moment of the shared machine weighs on every setup alike. Returns
    each block's median latency (ms) per setup; block i of every setup ran back to back."""
    with contextlib.ExitStack() as stack:
        servers = {
            v: stack.enter_context(Server(SETTINGS[v], databases[v])) for v in variants
        }
        clients = {
            v: stack.enter_context(_Client(servers[v].port, setups[v], cfg["rows"]))
            for v in variants
        }
        for v in variants:
            clients[v].times(cfg["warmup"])
        blocks: dict[str, list[float]] = {v: [] for v in variants}
        for block in range(cfg["blocks"]):
            for v in _rotated(variants, block):
                blocks[v].append(_median(clients[v].times(cfg["block"])) * 1000)
    return blocks


class _Client:
    """One keep-alive connection, as a browser tab would hold."""

    def __init__(self, port: int, setup: dict[str, Any], rows: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {
            "Host": setup["host"],
            "Cookie": f"{setup['cookie_name']}={setup['cookie']}",
        }
        self.rows = rows

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.conn.close()

    def times(self, requests: int) -> list[float]:
        latencies = []
        for _ in range(requests):
            started = time.perf_counter()
            self.conn.request("GET", "/", headers=self.headers)
            response = self.conn.getresponse()
            body = response.read()
            latencies.append(time.perf_counter() - started)
            _check_page(response.status, body, self.rows)
        return latencies


def _check_page(status: int, body: bytes, rows: int) -> None:
    found = body.count(b'class="client"')
    if status != 200 or found != rows:
        raise RuntimeError(
            f"the list view answered {status} with {found} rows instead of 200 with {rows}: "
            + body[:300].decode(errors="replace")
        )


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _median_profile(profiles: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the rounds."""
    return {key: _median([p[key] for p in profiles]) for key in profiles[0]} if profiles else {}


def _summarise(
    variants: list[str],
    client: dict[str, list[dict[str, Any]]],
    server: dict[str, list[float]],
    cfg: dict[str, int],
    notes: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {"config": cfg, "notes": notes, "variants": {}}
    for v in variants:
        first = client[v][0]
        rounds_ms = [r["median_ms"] for r in client[v]]
        out["variants"][v] = {
            "statements": first["statements"],
            "set_statements": first["set_statements"],
            "path_carried": first["path_carried"],
            "sql": first["sql"],
            "client_ms": _median(rounds_ms),
            "client_rounds_ms": rounds_ms,
            "server_ms": _median(server[v]) if server[v] else None,  # median of blocks
            "server_blocks_ms": server[v],
            "profile": _median_profile([r["profile"] for r in client[v]]),
        }
    # Ratios per round (the setups of one round ran back to back), then their median.
    plain_client = out["variants"]["plain"]["client_rounds_ms"]
    plain_server = out["variants"]["plain"]["server_blocks_ms"]
    for v in variants:
        data = out["variants"][v]
        data["client_ratio"] = _median(
            [a / b for a, b in zip(data["client_rounds_ms"], plain_client, strict=True)]
        )
        data["server_ratio"] = (
            _median([a / b for a, b in zip(data["server_blocks_ms"], plain_server, strict=True)])
            if plain_server
            else None
        )
    return out


# -- report ---------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    rows = []
    for v, data in result["variants"].items():
        rows.append(
            [
                LABELS[v],
                str(data["statements"]),
                str(data["set_statements"]),
                fmt_ms(data["client_ms"]),
                fmt_ratio(data["client_ratio"]),
                fmt_ms(data["server_ms"]),
                fmt_ratio(data["server_ratio"]),
            ]
        )
    lines = [
        f"A signed-in user's list of {cfg['rows']} clients (a template-rendered page, "
        "session and user from the database, as in every setup). Test client: "
        f"{cfg['rounds']} rounds alternating the setups, each a fresh process timing "
        f"{cfg['requests']} requests after {cfg['warmup']} warm-up requests; latency is the "
        "median of the rounds' medians, the ratio to plain Django is taken within each "
        "round, then the median. gunicorn: one server per setup (1 worker, gthread, "
        "persistent database connection) on 127.0.0.1, all running at once, and one "
        f"keep-alive client connection to each, alternating blocks of {cfg.get('block')} "
        f"requests between the setups ({cfg.get('blocks')} blocks each, after "
        f"{cfg['warmup']} warm-up requests); latency is the median of the blocks' medians, "
        "the ratio is taken per block, then the median. The database is on the same "
        "machine, over a Unix socket.",
        "",
        table(
            [
                "setup",
                "SQL statements / request",
                "of which SET search_path",
                "test client (median)",
                "vs plain",
                "gunicorn (median)",
                "vs plain",
            ],
            rows,
        ),
        "",
        "Statements of one request:",
        "",
    ]
    for v, data in result["variants"].items():
        lines.append(f"* {LABELS[v]}:")
        for statement in data["sql"]:
            lines.append(f"  * `{_shorten(statement)}`")
    lines += ["", *_profile_markdown(result)]
    lines += [f"\n{note}" for note in result["notes"]]
    return "\n".join(lines)


def _profile_markdown(result: dict[str, Any]) -> list[str]:
    cfg = result["config"]
    rows = []
    for v, data in result["variants"].items():
        p = data.get("profile") or {}
        if not p:
            continue
        ours = v in OURS
        rows.append(
            [
                LABELS[v],
                fmt_us(p.get("total_us")),
                fmt_us(p.get("loads_us")),
                fmt_us(p.get("middleware_us")) if ours else "–",
                fmt_us(p.get("package_us")) if ours else "–",
            ]
        )
    if not rows:
        return []
    return [
        f"Python cost per request, measured with cProfile over {cfg.get('profiled')} requests "
        "through the test client in each round, the median of the rounds; the profiler slows "
        "Python down, so compare the rows rather than the absolute values. \"session + user "
        "load\": Django loading the session and the user, database round trips included "
        "(with the engine, its read includes our join and the check); \"middleware\": "
        "SchemaSwitchMiddleware without the rest of the chain and without those loads (without "
        "the engine this includes the round trip of its check statement); \"package, own "
        "time\": time spent in schemaswitch_admin's own functions (middleware, session "
        "store, backend hooks), callees and so database waits excluded.",
        "",
        table(
            [
                "setup",
                "request (profiled)",
                "session + user load",
                "middleware",
                "package, own time",
            ],
            rows,
        ),
    ]


def fmt_us(value: float | None) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:.0f} µs"


def _shorten(statement: str, width: int = 110) -> str:
    statement = " ".join(statement.split()).replace("`", "'")
    return statement if len(statement) <= width else statement[: width - 1] + "…"


_LATENCY_WHY = (
    "The default middleware re-checks the membership and sets the path in one statement more "
    "than plain Django sends (4 vs 3): a round trip on a page whose whole cost is a few "
    "milliseconds. The opt-in session engine folds that check into the session read and "
    "meets the target (its rows above)."
)


def targets(result: dict[str, Any]) -> list[Target]:
    variants = result["variants"]
    ours, plain = variants["schemaswitch"], variants["plain"]
    extra = ours["statements"] - plain["statements"]
    out = _engine_targets(variants["engine"], plain) if "engine" in variants else []
    out += [
        Target(
            "Same-schema request: at most 1 statement more than plain Django",
            f"+{extra} ({ours['statements']} vs {plain['statements']})",
            extra <= 1,
            f"{extra - 1} statement(s)",
        ),
        Target(
            "No separate SET search_path when the connection holds the path",
            f"{ours['set_statements']} separate SET",
            ours["set_statements"] == 0,
            f"{ours['set_statements']} SET",
        ),
        Target(
            "Latency within 5 % of plain Django (test client)",
            fmt_ratio(ours["client_ratio"]),
            ours["client_ratio"] <= 1.05,
            f"{(ours['client_ratio'] - 1.05) * 100:.1f} points",
            _LATENCY_WHY,
        ),
    ]
    if ours["server_ratio"] is not None:
        out.append(
            Target(
                "Latency within 5 % of plain Django (gunicorn)",
                fmt_ratio(ours["server_ratio"]),
                ours["server_ratio"] <= 1.05,
                f"{(ours['server_ratio'] - 1.05) * 100:.1f} points",
                _LATENCY_WHY,
            )
        )
    return out


def _engine_targets(engine: dict[str, Any], plain: dict[str, Any]) -> list[Target]:
    extra = engine["statements"] - plain["statements"]
    out = [
        Target(
            "Session engine: same statements as plain Django",
            f"{extra:+d} ({engine['statements']} vs {plain['statements']})",
            extra <= 0,
            f"{extra} statement(s)",
        ),
    ]
    if engine["server_ratio"] is not None:
        out.append(
            Target(
                "Session engine: latency within 5 % of plain Django (gunicorn)",
                fmt_ratio(engine["server_ratio"]),
                engine["server_ratio"] <= 1.05,
                f"{(engine['server_ratio'] - 1.05) * 100:.1f} points",
            )
        )
    return out


# -- child side (run by bench.worker under one setup's settings) -------------------------------


def setup(variant: str, rows: int, **_: Any) -> dict[str, Any]:
    """Migrate, create the user, the tenant and its rows, and a signed-in session."""
    from contextlib import nullcontext

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from projects.models import Client

    if variant == "engine":
        from schemaswitch_admin.sessions.db import SessionStore
    else:
        from django.contrib.sessions.backends.db import SessionStore
    session = SessionStore()
    if variant == "tenants":
        from django_tenants.utils import get_tenant_domain_model, get_tenant_model
        from django_tenants.utils import schema_context as tenant_schema

        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        tenant = get_tenant_model()(schema_name=SCHEMA, name="Acme")
        tenant.save(verbosity=0)
        get_tenant_domain_model().objects.create(
            domain=HOSTS[variant], tenant=tenant, is_primary=True
        )
        user = User.objects.create_user("bench", password="bench")
        context: Any = tenant_schema(SCHEMA)
    elif variant in OURS:
        from schemaswitch_admin import schema_context
        from schemaswitch_admin.models import Membership, Schema
        from schemaswitch_admin.selection import SESSION_KEY as SCHEMA_KEY

        call_command("migrate", interactive=False, verbosity=0)
        user = User.objects.create_user("bench", password="bench")
        schema = Schema.objects.create_schema(SCHEMA, display_name="Acme")
        Membership.objects.create(user=user, schema=schema)
        session[SCHEMA_KEY] = SCHEMA
        context = schema_context(SCHEMA)
    else:
        call_command("migrate", interactive=False, verbosity=0)
        user = User.objects.create_user("bench", password="bench")
        context = nullcontext()
    with context:
        Client.objects.bulk_create(
            Client(name=f"Client {i:03d}", email=f"client{i}@example.com") for i in range(rows)
        )
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {
        "cookie": session.session_key,
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "host": HOSTS[variant],
    }


def measure(
    variant: str, cookie: str, cookie_name: str, host: str, rows: int, warmup: int,
    requests: int, profiled: int = 5, **_: Any,
) -> dict[str, Any]:
    """Count one request's statements, time ``requests`` requests (test client), then
    profile ``profiled`` more."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=host)
    client.cookies[cookie_name] = cookie
    for _ in range(max(warmup, 2)):
        response = client.get("/")
        _check_page(response.status_code, response.content, rows)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    _check_page(response.status_code, response.content, rows)
    statements = [q["sql"] for q in captured.captured_queries]
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get("/")
        latencies.append(time.perf_counter() - started)
    return {
        "statements": len(statements),
        "set_statements": sum(1 for s in statements if _is_set_path(s)),
        "path_carried": sum(1 for s in statements if "set_config('search_path'" in s),
        "sql": statements,
        "median_ms": statistics.median(latencies) * 1000,
        "profile": _profile(client, profiled),
    }


def _profile(client: Any, requests: int) -> dict[str, float]:
    """Microseconds per request under the profiler (its default clock: a CPU-clock timer
    costs a system call per event on a virtual machine, which would swamp what it measures):
    the whole request, Django's session and user load, our middleware without the chain it
    calls and without that load, and our package's own functions (callees excluded, so no
    database wait)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get("/")
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.calc_callees()
    table_ = stats.stats  # type: ignore[attr-defined]
    per_request = 1e6 / requests

    def find(path_end: str, name: str) -> Any:
        return next(
            (k for k in table_ if k[0].replace("\\", "/").endswith(path_end) and k[2] == name),
            None,
        )

    total = sum(entry[2] for entry in table_.values())
    get_user = find("django/contrib/auth/__init__.py", "get_user")
    loads = table_[get_user][3] if get_user else 0.0
    out = {"total_us": total * per_request, "loads_us": loads * per_request}
    middleware = find("schemaswitch_admin/middleware.py", "__call__")
    if middleware is not None:
        chain = sum(
            timing[3]
            for callee, timing in stats.all_callees[middleware].items()  # type: ignore[attr-defined]
            if callee[0].replace("\\", "/").endswith("django/core/handlers/exception.py")
        )
        own = table_[middleware][3] - chain - loads
        package = sum(
            entry[2] for key, entry in table_.items() if "/schemaswitch_admin/" in key[0]
        )
        out.update(middleware_us=own * per_request, package_us=package * per_request)
    return out


def _is_set_path(statement: str) -> bool:
    return statement.lstrip().upper().startswith("SET SEARCH_PATH")
