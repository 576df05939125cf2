"""Issue 13, item 5: what migrate --check, run_in_schema, showmigrations and sqlmigrate say."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Schema
from tests.tenantapp.models import Tag

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err, **options)
    except CommandError as exc:
        exc.out, exc.err = out.getvalue(), err.getvalue()
        raise
    return out.getvalue(), err.getvalue()


def applied(schema):
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {}.django_migrations").format(sql.Identifier(schema))
        )
        return cursor.fetchone()[0]


# -- migrate --check ---------------------------------------------------------------------


def test_migrate_check_says_unapplied_and_applies_nothing():
    Schema.objects.bulk_create([Schema(name="m_check")])
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA m_check")

    with pytest.raises(CommandError, match="Unapplied migrations in schema.*m_check") as failed:
        run("migrate", schema=["m_check"], check_unapplied=True)

    assert "m_check: unapplied " in failed.value.out
    assert "applied" not in failed.value.out.replace("unapplied", "")
    assert "1 with unapplied migrations, 0 up to date" in failed.value.out
    assert "migrated" not in failed.value.out
    assert applied("m_check") == 0


# -- run_in_schema -----------------------------------------------------------------------


def failing_fixture(tmp_path, schema):
    """A fixture that fails to load into ``schema`` only (its tag name is taken there)."""
    with schema_context(schema.name):
        Tag.objects.create(pk=2, name="taken")
    fixture = tmp_path / "tag.json"
    fixture.write_text(
        json.dumps([{"model": "tenantapp.tag", "pk": 1, "fields": {"name": "taken"}}])
    )
    return fixture


def test_fail_fast_counts_the_schemas_it_did_not_run(schema_factory, tmp_path):
    first, *rest = sorted((schema_factory() for _ in range(4)), key=lambda s: s.name)
    fixture = failing_fixture(tmp_path, first)

    with pytest.raises(CommandError, match=rf"failed in 1 schema\(s\): {first.name}\.") as exc:
        run("run_in_schema", "--all", "--fail-fast", "loaddata", str(fixture))

    assert "4 schema(s): 0 succeeded, 1 failed, 3 not run (--fail-fast)." in exc.value.out
    for schema in rest:
        assert f"Schema {schema.name}:" not in exc.value.out
        with schema_context(schema.name):
            assert not Tag.objects.exists()


def test_traceback_prints_the_failing_commands_traceback(schema_factory, tmp_path):
    schema = schema_factory()
    fixture = failing_fixture(tmp_path, schema)

    with pytest.raises(CommandError) as exc:
        run("run_in_schema", "--traceback", schema.name, "loaddata", str(fixture))

    assert "NoneType: None" not in exc.value.err
    assert "Traceback (most recent call last)" in exc.value.err
    assert "IntegrityError" in exc.value.err


def test_run_in_schema_refuses_a_second_different_database_option(tenant_schema):
    with pytest.raises(CommandError, match="Give --database to run_in_schema"):
        run("run_in_schema", tenant_schema.name, "dumpdata", "--database", "elsewhere")


# -- showmigrations / sqlmigrate -----------------------------------------------------------


def test_showmigrations_without_schema_shows_shared_apps_only_and_says_so():
    out, err = run("showmigrations")

    assert "auth\n" in out and "schemaswitch_admin\n" in out
    assert "tenantapp" not in out and "migrapp" not in out
    assert "tenantapp" in err and "--schema" in err


def test_showmigrations_refuses_a_private_app_without_schema():
    with pytest.raises(CommandError, match=r"Private apps.*tenantapp.*--schema NAME"):
        run("showmigrations", "tenantapp")


def test_showmigrations_in_a_schema_shows_that_schemas_history(tenant_schema):
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DELETE FROM {}.django_migrations WHERE app = 'migrapp'").format(
                sql.Identifier(tenant_schema.name)
            )
        )

    out, _err = run("showmigrations", "migrapp", schema=tenant_schema.name)
    public, _err = run("showmigrations", "auth")

    assert "[ ] 0001_initial" in out
    assert "[X] 0001_initial" in public
    in_run, _err = run("run_in_schema", tenant_schema.name, "showmigrations", "tenantapp")
    assert "[X] 0001_initial" in in_run


def test_sqlmigrate_of_a_private_app_needs_a_schema_and_then_shows_the_sql():
    with pytest.raises(CommandError, match=r"tenantapp is a private app.*--schema"):
        run("sqlmigrate", "tenantapp", "0001")

    out, _err = run("sqlmigrate", "tenantapp", "0001", schema="__template__")

    assert 'CREATE TABLE "tenantapp_tag"' in out


def test_sqlmigrate_of_a_shared_app_refuses_a_schema(tenant_schema):
    with pytest.raises(CommandError, match="shared app"):
        run("sqlmigrate", "auth", "0001", schema=tenant_schema.name)
    out, _err = run("sqlmigrate", "auth", "0001")
    assert 'CREATE TABLE "auth_permission"' in out
