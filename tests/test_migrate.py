"""migrate: public, then the template, then every schema, each with its own history."""

import io

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.migrating import SchemaMigrator
from schemaswitch_admin.models import Schema

NEXT = {"migrapp": "tests.migrapp.migrations_next"}
BROKEN = {"migrapp": "tests.migrapp.migrations_broken"}


def bare_schemas(*names):
    """Rows plus empty PostgreSQL schemas, so migrate has to build them from nothing."""
    Schema.objects.bulk_create([Schema(name=n) for n in names])
    with connection.cursor() as cursor:
        for n in names:
            cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(n)))
    return list(names)


def applied(schema, app="migrapp"):
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT name FROM {}.django_migrations WHERE app = %s ORDER BY name").format(
                sql.Identifier(schema)
            ),
            [app],
        )
        return [r[0] for r in cursor.fetchall()]


def tables(schema):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return {r[0] for r in cursor.fetchall()}


def migrate(*args, **kwargs):
    out = io.StringIO()
    call_command("migrate", *args, stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


@pytest.mark.django_db
def test_empty_schemas_are_built_from_their_own_history():
    names = bare_schemas("m_one", "m_two")
    out = migrate(schema=names)
    for n in names:
        assert applied(n) == ["0001_initial"]
        assert {"tenantapp_note", "migrapp_item", "django_migrations"} <= tables(n)
        # Shared tables never appear in a schema.
        assert not {"auth_user", "schemaswitch_admin_schema"} & tables(n)
    assert "m_one: " in out and "m_two: " in out
    assert "2 migrated, 0 up to date, 0 failed" in out


@pytest.mark.django_db
def test_new_migration_with_runpython_is_applied_in_every_schema():
    names = bare_schemas("m_a", "m_b", "m_c")
    migrate(schema=names)
    with override_settings(MIGRATION_MODULES=NEXT):
        out = migrate()
    for n in ["__template__", *names]:
        assert applied(n) == ["0001_initial", "0002_seen_schema"]
        with schema_context(n), connection.cursor() as cursor:
            cursor.execute("SELECT label, seen_schema FROM migrapp_item")
            assert cursor.fetchall() == [("migrated", n)]
    # The RunPython ran in schemas only, never in public, and public got no private table.
    assert "migrapp_item" not in tables("public")
    assert applied("public", "migrapp") == ["0001_initial", "0002_seen_schema"]
    assert "4 migrated, 0 up to date, 0 failed, 4 in all" in out


@pytest.mark.django_db
def test_nothing_to_apply_costs_the_same_queries_for_3_or_12_schemas():
    names = bare_schemas(*[f"m_q{i}" for i in range(12)])
    migrate(schema=names)

    def count(subset):
        migrator = SchemaMigrator("default", lambda loader: loader.graph.leaf_nodes())
        with CaptureQueriesContext(connection) as ctx:
            summary = migrator.run(subset)
        assert len(summary.up_to_date) == len(subset)
        return len(ctx.captured_queries)

    # Catalog lookup + one UNION ALL over all histories + one executor per distinct history:
    # nothing grows with the number of schemas.
    assert count(names[:3]) == count(names) <= 8


@pytest.mark.django_db
def test_failures_are_listed_and_other_schemas_still_migrate():
    names = bare_schemas("m_ok1", "m_x_bad", "m_ok2")
    migrate(schema=names)
    with override_settings(MIGRATION_MODULES=BROKEN):
        with pytest.raises(CommandError, match=r"failed in 1 schema\(s\): m_x_bad"):
            migrate(schema=names)
        assert applied("m_ok1") == ["0001_initial", "0002_fails_in_some"]
        assert applied("m_ok2") == ["0001_initial", "0002_fails_in_some"]
        assert applied("m_x_bad") == ["0001_initial"]
        # Re-running resumes: the good schemas are up to date, the bad one is retried.
        with pytest.raises(CommandError, match="m_x_bad"):
            out = io.StringIO()
            try:
                call_command("migrate", schema=names, stdout=out)
            finally:
                text = out.getvalue()
        assert "m_ok1: up to date" in text and "m_x_bad: FAILED" in text


@pytest.mark.django_db
def test_failure_exits_non_zero_from_the_command_line(capsys):
    names = bare_schemas("m_cli_bad")
    migrate(schema=names)
    with override_settings(MIGRATION_MODULES=BROKEN):
        with pytest.raises(SystemExit) as exc:
            ManagementUtility(["manage.py", "migrate", "--schema", "m_cli_bad"]).execute()
    assert exc.value.code == 1
    assert "m_cli_bad" in capsys.readouterr().err


@pytest.mark.django_db
def test_shared_only_touches_public_alone():
    names = bare_schemas("m_shared_only")
    out = migrate(shared_only=True)
    assert "Schemas (" not in out
    assert tables("m_shared_only") == set()
    assert names


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["nope", 'x"; drop schema public; --', "Public", "public"])
def test_unknown_or_invalid_schema_names_are_refused(bad):
    with pytest.raises(CommandError):
        migrate(schema=[bad])


@pytest.mark.django_db
def test_schema_and_shared_only_conflict():
    with pytest.raises(CommandError, match="cannot be combined"):
        migrate(schema=["x"], shared_only=True)


@pytest.mark.django_db
def test_missing_postgresql_schema_is_reported_as_a_failure():
    Schema.objects.bulk_create([Schema(name="m_ghost")])
    with pytest.raises(CommandError, match="m_ghost"):
        migrate(schema=["m_ghost"])


@pytest.mark.django_db
def test_plan_shows_without_applying():
    names = bare_schemas("m_plan")
    out = migrate(schema=names, plan=True)
    assert "tenantapp.0001_initial" in out
    assert applied("m_plan") == []


@pytest.mark.django_db
def test_migrating_one_app_back_to_zero_in_a_schema():
    names = bare_schemas("m_zero")
    migrate(schema=names)
    migrate("migrapp", "zero", schema=names)
    assert applied("m_zero") == []
    assert "migrapp_item" not in tables("m_zero")
    assert "tenantapp_note" in tables("m_zero")


@pytest.mark.django_db
def test_model_states_are_rendered_once_per_history_not_per_schema():
    from unittest import mock

    from django.db.migrations.state import StateApps

    def renders(names):
        migrate(schema=names)
        real_init = StateApps.__init__
        with mock.patch.object(StateApps, "__init__", autospec=True, side_effect=real_init) as spy:
            with override_settings(MIGRATION_MODULES=NEXT):
                migrate(schema=names)
        return spy.call_count

    few = renders(bare_schemas("r_a", "r_b"))
    many = renders(bare_schemas(*[f"r_m{i}" for i in range(6)]))
    assert few == many


DEFERRED_BROKEN = {"migrapp": "tests.migrapp.migrations_deferred_broken"}


@pytest.mark.django_db
@pytest.mark.parametrize("replay", [True, False], ids=["replayed plan", "django executor"])
def test_a_failure_in_deferred_sql_does_not_abort_the_remaining_schemas(replay, monkeypatch):
    """The schema editor runs deferred SQL (here a foreign key) when it exits; when that
    fails, the migration's transaction must be rolled back before the next schema, or every
    remaining schema fails with "current transaction is aborted"."""
    from schemaswitch_admin import migrating

    if not replay:
        monkeypatch.setattr(migrating, "REPLAY_MAX_OPERATIONS", 0)
    names = bare_schemas("d_a_ok", "d_b_bad", "d_c_ok", "d_d_ok")
    with override_settings(MIGRATION_MODULES=BROKEN):
        migrate("migrapp", "0001", schema=names)
    with override_settings(MIGRATION_MODULES=DEFERRED_BROKEN):
        with pytest.raises(CommandError, match=r"failed in 1 schema\(s\): d_b_bad\."):
            migrate(schema=names)
        for ok in ("d_a_ok", "d_c_ok", "d_d_ok"):
            assert applied(ok) == ["0001_initial", "0002_rows_in_bad", "0003_fk_fails_in_bad"]
        assert applied("d_b_bad") == ["0001_initial", "0002_rows_in_bad"]
        assert "code" not in columns("d_b_bad", "migrapp_item")


def columns(schema, table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            [schema, table],
        )
        return {r[0] for r in cursor.fetchall()}


def _changes(ctx) -> list[str]:
    """The statements of a migration run that change something, in order (reads, the
    backend's path statements and the recorder's introspection left out)."""
    import re

    verbs = ("ALTER", "CREATE", "DROP", "INSERT", "UPDATE", "DELETE")
    timestamp = re.compile(r"'\d{4}-\d\d-\d\d [^']*'::timestamptz")
    return [
        timestamp.sub("<now>", q["sql"])
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(verbs)
    ]


@pytest.mark.django_db
def test_the_replayed_plan_matches_djangos_executor(monkeypatch):
    """migrate replays short plans with precomputed states instead of Django's executor
    (it took AddField + AddIndex on 1,000 schemas from 12.5 s to 5.2 s, docs/benchmarks.md).
    Pinned here against Django's own executor: the same statements, in the same order, and
    the same history."""
    from schemaswitch_admin import migrating

    names = bare_schemas("r_replay", "r_django")
    migrate(schema=names)

    def run(schema):
        migrator = SchemaMigrator("default", lambda loader: loader.graph.leaf_nodes())
        with CaptureQueriesContext(connection) as ctx:
            summary = migrator.run([schema])
        assert summary.failed == [] and len(summary.migrated) == 1
        return _changes(ctx)

    with override_settings(MIGRATION_MODULES=NEXT):
        replayed = run("r_replay")
        monkeypatch.setattr(migrating, "REPLAY_MAX_OPERATIONS", 0)
        executed = run("r_django")

    assert replayed == [s.replace("r_django", "r_replay") for s in executed]
    assert any("item_seen_idx" in s for s in replayed)
    assert applied("r_replay") == applied("r_django") == ["0001_initial", "0002_seen_schema"]
    for schema in names:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("SELECT label, seen_schema FROM migrapp_item")
            assert cursor.fetchall() == [("migrated", schema)]
