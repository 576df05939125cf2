"""Real servers behind PgBouncer in transaction mode, with fewer server connections than
clients: with ``SCHEMASWITCH_POOLER = "transaction"`` no response shows a foreign schema's
rows and no write lands in a foreign schema; with the mode off the same load leaks (the test
can fail).

Each visitor's requests mix listings, switches (own and refused), writes in explicit
transactions that also read another schema, savepoint and transaction rollbacks after work in
another schema, and user code's own ``SET``. PgBouncer is Debian's (1.18), pointed at the test
database itself, with 4 server connections for 40 concurrent clients over 24 schemas.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from psycopg import sql

from . import report
from .bouncer import pgbouncer, require_pgbouncer
from .load import ACTIONS_WITH_WRITES, ADDED, run_load
from .servers import server_env, web_server
from .world import built_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# Enough to interleave thousands of statements from 40 clients on 4 server connections: with
# the mode off the same load leaks hundreds of times (docs/reliability.md).
REQUESTS = 1200
CONCURRENCY = 40
SERVER_CONNECTIONS = 4


@pytest.fixture(scope="module")
def bounced_world(django_db_setup, django_db_blocker):
    require_pgbouncer()
    with built_world(django_db_blocker, "hkt", 24, 60) as (world, db_name):
        settings = connection.settings_dict
        target = SimpleNamespace(
            host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432
        )
        with pgbouncer(
            target, db_name, mode="transaction", pool_size=SERVER_CONNECTIONS, max_clients=200
        ) as port:
            yield world, db_name, port


def foreign_writes(world, django_db_blocker) -> list[str]:
    """Rows written by the load into a schema other than the one they name."""
    found = []
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for schema in world.schemas:
            cursor.execute(
                sql.SQL("SELECT name FROM {}.tenantapp_project WHERE name LIKE %s").format(
                    sql.Identifier(schema)
                ),
                [f"%{ADDED}%"],
            )
            found += [f"{schema}: {n}" for (n,) in cursor.fetchall() if not n.startswith(schema)]
    return found


@pytest.mark.parametrize("kind", ["gunicorn", "uvicorn"])
def test_transaction_mode_keeps_every_client_in_its_schema(
    bounced_world, django_db_blocker, kind
):
    world, db_name, port = bounced_world
    env = server_env(db_name, "plain", HK_DB_HOST="127.0.0.1", HK_DB_PORT=str(port),
                     HK_POOLER="transaction")
    rows_path = "/hk/arows/" if kind == "uvicorn" else "/hk/rows/"
    with web_server(kind, env, workers=2, threads=8) as server:
        outcome = run_load(
            server.port, world, total=REQUESTS, concurrency=CONCURRENCY, rows_path=rows_path,
            actions=ACTIONS_WITH_WRITES, time_limit=300,
        )
        log = server.log_tail()
    label = f"{kind} behind PgBouncer transaction mode ({SERVER_CONNECTIONS} server conns)"
    report.record(label, outcome)
    print(outcome.row(label))
    detail = outcome.detail() + "\n--- server log ---\n" + log
    assert outcome.leaks == 0, detail
    assert outcome.errors == 0, detail
    assert outcome.wrong == 0, detail
    assert outcome.requests == REQUESTS // CONCURRENCY * CONCURRENCY, detail
    assert outcome.statuses[200] > REQUESTS // 2 and outcome.statuses[403] > 0
    assert foreign_writes(world, django_db_blocker) == []


def test_the_same_load_leaks_with_the_mode_off(bounced_world):
    """Declared session mode (the mode off) behind the same transaction pooler."""
    world, db_name, port = bounced_world
    env = server_env(db_name, "plain", HK_DB_HOST="127.0.0.1", HK_DB_PORT=str(port),
                     HK_POOLER="session")
    with web_server("gunicorn", env, workers=2, threads=8) as server:
        outcome = run_load(
            server.port, world, total=600, concurrency=CONCURRENCY,
            actions=ACTIONS_WITH_WRITES, time_limit=300,
        )
    report.note(f"PgBouncer transaction mode with the mode off: {outcome.leaks} leaks, "
                f"{outcome.wrong} wrong answers in {outcome.requests} requests")
    assert outcome.leaks + outcome.wrong > 0, outcome.problems[:5]
