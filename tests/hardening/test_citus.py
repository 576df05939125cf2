"""The documented Citus flow on a real 3-node cluster (a coordinator and two workers):
``migrate``, ``citus_setup``, 20 tenant schemas, requests through gunicorn, a new migration
across every schema, dump and load, a clone with rows, a tenant moved while a client reads
it, and a drop. Skipped, with the reason, where Citus is not installed (docs/scale-out.md).

The tests share one cluster and run in file order, each building on the last, as the flow
does in a real project.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from .citus_cluster import DATABASE, citus_cluster, require_citus
from .conftest import django_subprocess
from .load import ACTIONS, run_load
from .servers import ROOT, server_env, web_server
from .world import World

pytestmark = [pytest.mark.citus, pytest.mark.slow]

SCHEMAS = 20


@pytest.fixture(scope="module")
def cluster():
    require_citus()
    with citus_cluster() as running:
        yield running


@pytest.fixture(scope="module")
def env(cluster):
    return {
        "DATABASE_URL": cluster.url(),
        "SCHEMASWITCH_DB_NAME": DATABASE,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }


@pytest.fixture(scope="module")
def migrated(cluster, env):
    """The migrated database, and where the content types' sequence stood before setup
    (moved past a deleted row, so it is ahead of the table's largest id)."""
    django_subprocess(["-m", "django", "migrate", "-v", "0"], env)
    with cluster.connect() as conn:
        conn.execute("INSERT INTO django_content_type (app_label, model) VALUES ('zz', 'gone')")
        conn.execute("DELETE FROM django_content_type WHERE app_label = 'zz'")
        (position,) = conn.execute(
            "SELECT last_value FROM django_content_type_id_seq"
        ).fetchone()
    return {"django_content_type": position}


@pytest.fixture(scope="module")
def world(cluster, env, migrated, tmp_path_factory) -> World:
    django_subprocess(["-m", "django", "citus_setup"], env)
    out = tmp_path_factory.mktemp("citus") / "world.json"
    django_subprocess(
        ["-m", "tests.hardening.world", "build", "--prefix", "cz", "--schemas", str(SCHEMAS),
         "--users", "12", "--out", str(out)],
        env, timeout=600,
    )  # fmt: skip
    return World.from_json(out.read_text())


def manage(env, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT, env={**_inherit(), **env, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _inherit() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}


def one(cluster, query: str, *params):
    with cluster.connect() as conn:
        return conn.execute(query, params).fetchone()


def test_migrate_with_sharding_on_leaves_the_existing_template_a_plain_schema(
    cluster, env, migrated
):
    """``CREATE SCHEMA IF NOT EXISTS`` would register the existing template as distributed
    while its tables stay local, and its next migration would fail."""
    with cluster.connect() as conn:
        conn.execute(f"ALTER DATABASE {DATABASE} SET citus.enable_schema_based_sharding TO on")

    manage(env, "migrate", "-v", "0")

    assert one(cluster, "SELECT count(*) FROM pg_dist_schema") == (0,)


def test_setup_makes_referenced_shared_tables_reference_tables_and_keeps_their_sequences(
    cluster, env, migrated, world
):
    kinds = dict(
        row for row in cluster.connect().execute(
            "SELECT table_name::text, citus_table_type FROM citus_tables "
            "WHERE table_name::text NOT LIKE '%.%'"
        )
    )  # fmt: skip
    # auth_user is referenced from private tables; the shared tables linked to it became
    # Citus local tables (Citus's rule), no other shared table became a reference table.
    assert kinds["auth_user"] == "reference"
    assert {k for k, v in kinds.items() if v == "reference"} == {"auth_user"}
    # The conversion restarts sequences; setup put them back where they were (never below
    # the rows): the content types' past a row deleted before setup.
    for table in ("django_content_type", "auth_permission", "auth_user"):
        top, position = one(
            cluster,
            f"SELECT (SELECT max(id) FROM {table}), "
            f"pg_sequence_last_value(pg_get_serial_sequence('{table}', 'id'))",
        )
        assert position is not None and position >= top, table
    (position,) = one(cluster, "SELECT last_value FROM django_content_type_id_seq")
    assert position == migrated["django_content_type"]
    # The template and every schema are distributed, each whole on a worker.
    distributed = {
        row[0] for row in cluster.connect().execute(
            "SELECT schemaid::regnamespace::text FROM pg_dist_schema")
    }  # fmt: skip
    assert {"__template__", *world.schemas} <= distributed
    nodes = {cluster.worker_of(name) for name in world.schemas}
    assert nodes <= {w.port for w in cluster.workers} and None not in nodes


@pytest.mark.parametrize(
    ("citus_form", "refusal"),
    [(False, "with other subcommands|cannot insert multiple commands|is currently unsupported"),
     (True, None)],
)  # fmt: skip
def test_the_citus_form_of_the_clone_script_is_what_a_coordinator_accepts(
    cluster, world, citus_form, refusal
):
    """The same template, cloned by hand into a distributed schema: the one-round-trip form
    plain PostgreSQL gets is refused by Citus, the Citus form is not."""
    import re

    import psycopg

    from schemaswitch_admin.catalog import read_catalog, render_script

    with cluster.connect(autocommit=False) as conn, conn.cursor() as cursor:
        (namespace,) = one(cluster, "SELECT '__template__'::regnamespace::oid")
        cursor.execute("SET LOCAL search_path TO __template__")
        catalog = read_catalog(cursor, "__template__", namespace, conn)
        conn.rollback()
        script = render_script(catalog, "django_migrations", conn, citus=citus_form)
        cursor.execute("SET LOCAL citus.enable_schema_based_sharding TO on")
        cursor.execute("SET LOCAL citus.enable_unsafe_triggers TO on")
        try:
            for query in script.compose_each("cz_by_hand", with_data=False):
                cursor.execute(query.as_string(conn))
        except psycopg.Error as exc:
            assert refusal is not None, exc
            assert re.search(refusal, str(exc)), exc
        else:
            assert refusal is None, "Citus accepted the plain form"
            (tables,) = cursor.execute(
                "SELECT count(*) FROM pg_dist_partition p JOIN pg_class c "
                "ON c.oid = p.logicalrelid WHERE c.relnamespace = 'cz_by_hand'::regnamespace"
            ).fetchone()
            assert tables == len(catalog.of_kind("r"))
        finally:
            conn.rollback()


def test_setup_is_safe_to_run_again(env, world):
    again = manage(env, "citus_setup")

    assert "nothing to do" in again.stdout
    assert f"0 distributed, {SCHEMAS + 1} already distributed, 0 failed" in again.stdout


def test_requests_through_gunicorn_see_only_their_own_schemas_rows(env, world):
    server_settings = server_env(DATABASE, "persistent", DATABASE_URL=env["DATABASE_URL"])
    with web_server("gunicorn", server_settings) as server:
        outcome = run_load(server.port, world, total=402, concurrency=3, seed=5)

    assert outcome.requests == 402
    assert (outcome.errors, outcome.leaks, outcome.wrong) == (0, 0, 0), outcome.detail()


def test_a_new_migration_reaches_every_schema_once_in_that_schema(cluster, env, world):
    result = manage({**env, "DJANGO_SETTINGS_MODULE": "tests.hardening.citus_next_settings"},
                    "migrate")

    assert f"{SCHEMAS + 1} migrated, 0 up to date, 0 failed" in result.stdout
    for name in [*world.schemas, "__template__"]:
        (seen,) = one(cluster, f'SELECT array_agg(seen_schema) FROM "{name}".migrapp_item '
                               "WHERE label = 'migrated'")
        assert seen == [name]


def test_dump_and_load_a_schema_on_citus(cluster, env, world, tmp_path):
    source = world.schemas[0]
    dump = tmp_path / "dump.json"
    manage(env, "dumpdata", "--schema", source, "tenantapp", "-o", str(dump))
    manage(env, "create_schema", "cz_loaded")

    manage(env, "loaddata", "--schema", "cz_loaded", str(dump))

    rows = json.loads(dump.read_text())
    assert rows, "the source schema has rows to dump"
    (count,) = one(cluster, "SELECT count(*) FROM cz_loaded.tenantapp_project")
    assert count == sum(1 for r in rows if r["model"] == "tenantapp.project")
    # The reset read the maxima first, then moved the sequences on the coordinator.
    # Read apart: a statement reading the table would run on the worker, whose copy of the
    # sequence is not the one the coordinator's inserts use.
    (top,) = one(cluster, "SELECT max(id) FROM cz_loaded.tenantapp_project")
    (position,) = one(cluster, "SELECT last_value FROM cz_loaded.tenantapp_project_id_seq")
    assert position == top


def sequence_position(cluster, schema: str, sequence: str):
    """(last_value, is_called) read on the coordinator, the node whose sequence inserts use
    (a statement that also read a table would run on the worker)."""
    return one(cluster, f'SELECT last_value, is_called FROM "{schema}".{sequence}')


def test_a_clone_with_rows_is_distributed_with_its_keys(cluster, env, world):
    source = world.schemas[1]
    source_position = sequence_position(cluster, source, "tenantapp_project_id_seq")

    manage(env, "clone_schema", source, "cz_copy", "--with-data")

    # The copy's sequence is past the copied rows; the source's has not moved.
    (top,) = one(cluster, "SELECT max(id) FROM cz_copy.tenantapp_project")
    assert sequence_position(cluster, "cz_copy", "tenantapp_project_id_seq") == (top, True)
    assert sequence_position(cluster, source, "tenantapp_project_id_seq") == source_position

    for table in ("tenantapp_project", "django_migrations"):
        (a,) = one(cluster, f'SELECT count(*) FROM "{source}".{table}')
        (b,) = one(cluster, f"SELECT count(*) FROM cz_copy.{table}")
        assert a == b and a > 0, table
    (keys,) = one(
        cluster,
        "SELECT count(*) FROM pg_constraint WHERE connamespace = 'cz_copy'::regnamespace "
        "AND contype IN ('p', 'f')",
    )
    (source_keys,) = one(
        cluster,
        "SELECT count(*) FROM pg_constraint WHERE connamespace = %s::regnamespace "
        "AND contype IN ('p', 'f')", source,
    )
    assert keys == source_keys
    assert cluster.worker_of("cz_copy") is not None


CLONE_IN_A_TRANSACTION = """
from django.db import connection, transaction
from schemaswitch_admin.cloning import clone_schema

def settings():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('citus.enable_schema_based_sharding'), "
                       "current_setting('citus.enable_unsafe_triggers'), "
                       "current_setting('search_path')")
        return cursor.fetchone()

with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL citus.enable_schema_based_sharding TO off")
    before = settings()
    clone_schema("__template__", "cz_in_tx")
    after = settings()
    transaction.set_rollback(True)
# The path comes back as the backend writes it (quoted); only its value matters.
same = before[:2] == after[:2] and after[2].replace('"', "") == before[2]
print("SETTINGS", same, before, after)
"""


def test_a_clone_inside_a_transaction_leaves_its_citus_settings_behind(cluster, env, world):
    """The clone sets Citus's parameters for itself (SET LOCAL); the rest of the caller's
    transaction gets its own values back, and the path the backend keeps."""
    result = manage(env, "shell", "-c", CLONE_IN_A_TRANSACTION)

    assert "SETTINGS True" in result.stdout, result.stdout
    assert one(cluster, "SELECT to_regnamespace('cz_in_tx')") == (None,)


def test_list_schemas_shows_each_schemas_node(cluster, env, world):
    # A schema named like an SQL keyword: regnamespace would print it quoted.
    manage(env, "create_schema", "order")

    listed = json.loads(manage(env, "list_schemas", "--format", "json").stdout)

    by_name = {item["name"]: item for item in listed}
    for name in [*world.schemas, "order"]:
        assert by_name[name]["node"] == f"127.0.0.1:{cluster.worker_of(name)}"
        assert by_name[name]["size_bytes"] > 0


def test_move_a_tenant_while_a_client_reads_it(cluster, env, world):
    # A schema some visitor reads, so the client's requests reach it during the move.
    name = next(schema for visitor in world.visitors for schema in visitor.schemas)
    before = cluster.worker_of(name)
    other = next(w.port for w in cluster.workers if w.port != before)
    stop = threading.Event()
    server_settings = server_env(DATABASE, "persistent", DATABASE_URL=env["DATABASE_URL"])
    with web_server("gunicorn", server_settings) as server:
        result: dict = {}
        reader = threading.Thread(
            target=lambda: result.setdefault(
                "outcome",
                run_load(server.port, world, total=100_000, concurrency=2, seed=9, stop=stop,
                         actions={"list": 1, **{k: 0 for k in ACTIONS if k != "list"}}),
            )
        )
        reader.start()
        try:
            moved = manage(env, "move_schema", name, "--node", f"127.0.0.1:{other}")
        finally:
            stop.set()
            reader.join(timeout=120)

    assert cluster.worker_of(name) == other
    assert f"from 127.0.0.1:{before} to 127.0.0.1:{other}" in moved.stdout
    outcome = result["outcome"]
    assert outcome.requests > 0
    assert (outcome.errors, outcome.leaks, outcome.wrong) == (0, 0, 0), outcome.detail()


def test_move_schema_refuses_bad_input_and_changes_nothing(cluster, env, world):
    name = world.schemas[2]
    where = cluster.worker_of(name)
    cases = {
        ("nope_schema", "--node", f"127.0.0.1:{where}"): "Unknown schema",
        (name, "--node", "127.0.0.1:1"): "is not an active node",
        (name, "--node", "no-port"): "--node must be HOST:PORT",
        ("Bad Name", "--node", f"127.0.0.1:{where}"): "is not a valid schema name",
    }
    for args, message in cases.items():
        result = manage(env, "move_schema", *args, check=False)
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
    assert cluster.worker_of(name) == where
    same = manage(env, "move_schema", name, "--node", f"127.0.0.1:{where}")
    assert "already on" in same.stdout


def test_a_keyword_named_schema_moves_like_any_other(cluster, env, world):
    before = cluster.worker_of("order")
    other = next(w.port for w in cluster.workers if w.port != before)

    manage(env, "move_schema", "order", "--node", f"127.0.0.1:{other}")

    assert cluster.worker_of("order") == other


def test_setup_goes_on_past_a_schema_it_cannot_distribute_and_names_it(cluster, env, world):
    """A registered schema whose PostgreSQL schema is missing: its line says FAILED, the
    others are reported, the exit status is 1 and the summary lists it."""
    manage(env, "shell", "-c", "from schemaswitch_admin.models import Schema; "
           "Schema.objects.bulk_create([Schema(name='cz_ghost')])")  # fmt: skip
    try:
        result = manage(env, "citus_setup", check=False)
    finally:
        manage(env, "shell", "-c", "from schemaswitch_admin.models import Schema; "
               "Schema.objects.filter(name='cz_ghost').delete()")  # fmt: skip

    assert result.returncode == 1
    assert "cz_ghost: FAILED: the PostgreSQL schema does not exist" in result.stdout
    assert "already distributed" in result.stdout and ", 1 failed," in result.stdout
    assert "could not be distributed: cz_ghost" in result.stderr


def test_drop_removes_the_schema_and_its_shards(cluster, env, world):
    manage(env, "drop_schema", "cz_copy", "--yes")

    (left,) = one(
        cluster,
        "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'cz_copy.%%'",
    )
    assert left == 0
    assert one(cluster, "SELECT to_regnamespace('cz_copy')") == (None,)
