"""migrate --jobs N: schemas over N connections, each schema still on its own.

These tests commit (the other connections must see the schemas), so they run with
``transaction=True``; the flush after each one drops the schemas they made.
"""

import io
import re
import threading

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.test import override_settings
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.migrating import SchemaMigrator
from schemaswitch_admin.models import Schema

NEXT = {"migrapp": "tests.migrapp.migrations_next"}
BROKEN = {"migrapp": "tests.migrapp.migrations_broken"}

pytestmark = pytest.mark.django_db(transaction=True)


def bare_schemas(*names):
    Schema.objects.bulk_create([Schema(name=n) for n in names])
    with connection.cursor() as cursor:
        for n in names:
            cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(n)))
    return list(names)


def migrate(*args, **kwargs):
    out = io.StringIO()
    call_command("migrate", *args, stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


def history(schema):
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT app, name FROM {}.django_migrations ORDER BY app, name").format(
                sql.Identifier(schema)
            )
        )
        return cursor.fetchall()


def structure(schema):
    """Columns and indexes of the schema's tables, names only (comparable across schemas)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind, a.attname, pg_catalog.format_type(a.atttypid, "
            "a.atttypmod) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
            "AND NOT a.attisdropped WHERE n.nspname = %s ORDER BY 1, 3",
            [schema],
        )
        # A type of the schema's own (an enum) is printed qualified by the schema's name.
        return [
            (*row[:3], row[3] and row[3].replace(f"{schema}.", "<own>."))
            for row in cursor.fetchall()
        ]


def seen(schema):
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("SELECT label, seen_schema FROM migrapp_item")
        return cursor.fetchall()


class ConnectionsOpened:
    """Names the threads that opened a database connection while the block ran."""

    def __init__(self):
        self.threads = set()

    def __call__(self, sender, connection, **kwargs):
        self.threads.add(threading.current_thread().name)

    def __enter__(self):
        connection_created.connect(self, weak=False)
        return self

    def __exit__(self, *exc):
        connection_created.disconnect(self)


def test_two_jobs_give_every_schema_the_same_history_and_tables_as_one_job():
    serial = bare_schemas("j_s1", "j_s2", "j_s3", "j_s4")
    parallel = bare_schemas("j_p1", "j_p2", "j_p3", "j_p4", "j_p5")
    migrate(schema=serial + parallel)
    with override_settings(MIGRATION_MODULES=NEXT):
        migrate(schema=serial, jobs=1)
        with ConnectionsOpened() as opened:
            out = migrate(schema=parallel, jobs=2)

    # Two worker threads, each with its own connection, did the work.
    assert {"migrate-0", "migrate-1"} <= opened.threads
    reference_history = history("j_s1")
    reference_structure = structure("j_s1")
    assert ("migrapp", "0002_seen_schema") in reference_history
    for schema in serial + parallel:
        assert history(schema) == reference_history, schema
        assert structure(schema) == reference_structure, schema
        # The RunPython ran once per schema, with that schema active in its thread.
        assert seen(schema) == [("migrated", schema)]
    assert "5 migrated, 0 up to date, 0 failed, 5 in all" in out


def test_two_jobs_print_one_progress_line_per_schema_numbered_in_order():
    names = bare_schemas(*[f"j_line{i}" for i in range(6)])

    out = migrate(schema=names, jobs=2)

    lines = [line for line in out.splitlines() if re.match(r"\s+\[", line)]
    assert len(lines) == 6
    assert [re.match(r"\s+\[\s*(\d+)/6\]", line).group(1) for line in lines] == [
        str(i) for i in range(1, 7)
    ]
    for name in names:
        assert sum(f"] {name}: applied " in line for line in lines) == 1, name
    assert "6 migrated, 0 up to date, 0 failed, 6 in all" in out


def test_a_failing_schema_fails_a_parallel_run_with_the_list_and_the_others_migrate():
    names = bare_schemas("j_ok1", "j_x_bad", "j_ok2", "j_y_bad", "j_ok3")
    migrate(schema=names)
    out = io.StringIO()
    with override_settings(MIGRATION_MODULES=BROKEN):
        with pytest.raises(CommandError, match=r"failed in 2 schema\(s\): j_x_bad, j_y_bad\."):
            call_command("migrate", schema=names, jobs=2, stdout=out)
    text = out.getvalue()
    for name in ("j_ok1", "j_ok2", "j_ok3"):
        assert ("migrapp", "0002_fails_in_some") in history(name)
        assert f"{name}: applied 1" in text
    for name in ("j_x_bad", "j_y_bad"):
        assert ("migrapp", "0002_fails_in_some") not in history(name)
        assert f"{name}: FAILED RuntimeError: refusing to migrate a _bad schema" in text
    assert "3 migrated, 0 up to date, 2 failed, 5 in all" in text


def test_a_failing_parallel_run_exits_non_zero_from_the_command_line(capsys):
    names = bare_schemas("j_cli_ok", "j_cli_bad")
    migrate(schema=names)
    with override_settings(MIGRATION_MODULES=BROKEN):
        with pytest.raises(SystemExit) as exc:
            ManagementUtility(
                ["manage.py", "migrate", "--jobs", "2", "--schema", "j_cli_ok",
                 "--schema", "j_cli_bad"]
            ).execute()
    assert exc.value.code == 1
    assert "j_cli_bad" in capsys.readouterr().err
    assert ("migrapp", "0002_fails_in_some") in history("j_cli_ok")


@pytest.mark.parametrize("jobs", [0, -2])
def test_a_jobs_count_below_one_is_refused_before_anything_is_migrated(jobs):
    names = bare_schemas("j_refused")

    with pytest.raises(CommandError, match="--jobs must be a whole number of at least 1"):
        migrate(schema=names, jobs=jobs)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                       "ON n.oid = c.relnamespace WHERE n.nspname = 'j_refused'")
        assert cursor.fetchone()[0] == 0


def test_a_jobs_count_that_is_not_a_number_is_refused():
    with pytest.raises(CommandError, match="invalid int value"):
        migrate("--jobs", "two", "--shared-only")


def test_two_jobs_inside_a_transaction_are_refused():
    names = bare_schemas("j_in_atomic")
    with transaction.atomic():
        with pytest.raises(CommandError, match="cannot run inside a transaction"):
            migrate(schema=names, jobs=2)
    assert history_table_missing("j_in_atomic")


def history_table_missing(schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"{schema}.django_migrations"])
        return cursor.fetchone()[0] is None


def test_the_migrator_returns_results_in_the_order_of_the_schemas_it_was_given():
    names = bare_schemas("j_o_c", "j_o_a", "j_o_d", "j_o_b")
    migrator = SchemaMigrator("default", lambda loader: loader.graph.leaf_nodes(), jobs=3)

    summary = migrator.run(names)

    assert [r.schema for r in summary.results] == names
    assert len(summary.migrated) == 4
