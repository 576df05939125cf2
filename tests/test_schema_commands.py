"""create_schema, clone_schema, drop_schema, list_schemas and run_in_schema."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Membership, Schema
from schemaswitch_admin.testing.factories import MembershipFactory, UserFactory
from tests.tenantapp.models import Tag

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def pg_schema_exists(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def tags(schema):
    with schema_context(schema):
        return sorted(Tag.objects.values_list("name", flat=True))


# -- create_schema -----------------------------------------------------------------------


def test_create_schema_makes_row_schema_and_memberships():
    UserFactory(username="alice"), UserFactory(username="bob")
    out, _ = run("create_schema", "acme", display_name="Acme", member=["alice"], admin=["bob"])

    schema = Schema.objects.get(name="acme")
    assert schema.display_name == "Acme"
    assert pg_schema_exists("acme")
    roles = dict(Membership.objects.filter(schema=schema).values_list("user__username", "role"))
    assert roles == {"alice": "editor", "bob": "admin"}  # the default role, and --admin
    assert "Created schema acme with 2 member(s)" in out
    with schema_context("acme"):
        assert Tag.objects.count() == 0  # cloned tables are usable


def test_create_schema_with_an_unknown_user_creates_nothing():
    UserFactory(username="alice")
    with pytest.raises(CommandError, match="Unknown user.*nobody"):
        run("create_schema", "acme", member=["alice", "nobody"])
    assert not Schema.objects.filter(name="acme").exists()
    assert not pg_schema_exists("acme")
    assert not Membership.objects.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [("Acme", "not a valid schema name"), ("public", "reserved"), ("__template__", "not a valid")],
)
def test_create_schema_refuses_bad_names(name, message):
    with pytest.raises(CommandError, match=message):
        run("create_schema", name)


def test_create_schema_refuses_an_existing_name(tenant_schema):
    with pytest.raises(CommandError, match="already exists"):
        run("create_schema", tenant_schema.name)


# -- clone_schema ------------------------------------------------------------------------


def test_clone_with_data_copies_rows_and_without_copies_structure(tenant_schema):
    with schema_context(tenant_schema.name):
        Tag.objects.create(name="red")
    run("clone_schema", tenant_schema.name, "copy_full", with_data=True, display_name="Copy")
    run("clone_schema", tenant_schema.name, "copy_empty")

    assert tags("copy_full") == ["red"]
    assert tags("copy_empty") == []
    assert Schema.objects.get(name="copy_full").display_name == "Copy"
    with schema_context("copy_full"):
        Tag.objects.create(name="blue")  # its own sequence, no collision with the copied row
    assert tags(tenant_schema.name) == ["red"]


def test_clone_refuses_unknown_source_existing_target_and_template_data(tenant_schema):
    with pytest.raises(CommandError, match="Unknown schema 'ghost'"):
        run("clone_schema", "ghost", "new_one")
    with pytest.raises(CommandError, match="already exists"):
        run("clone_schema", "__template__", tenant_schema.name)
    with pytest.raises(CommandError, match="template holds no tenant data"):
        run("clone_schema", "__template__", "new_one", with_data=True)
    assert not Schema.objects.filter(name="new_one").exists()


# -- drop_schema -------------------------------------------------------------------------


def test_drop_schema_with_yes_drops_row_and_schema(tenant_schema):
    MembershipFactory(schema=tenant_schema)
    out, _ = run("drop_schema", tenant_schema.name, yes=True)
    assert not Schema.objects.filter(name=tenant_schema.name).exists()
    assert not pg_schema_exists(tenant_schema.name)
    assert not Membership.objects.exists()
    assert f"Dropped schema {tenant_schema.name}" in out


def test_drop_schema_without_yes_and_without_input_refuses(tenant_schema):
    with pytest.raises(CommandError, match="without --yes"):
        run("drop_schema", tenant_schema.name, interactive=False)
    assert pg_schema_exists(tenant_schema.name)


@pytest.mark.parametrize(("typed", "dropped"), [("wrong", False), ("", False), (None, True)])
def test_drop_schema_asks_for_the_name(tenant_schema, monkeypatch, typed, dropped):
    answer = tenant_schema.name if typed is None else typed
    monkeypatch.setattr("builtins.input", lambda prompt: answer)
    if dropped:
        run("drop_schema", tenant_schema.name)
    else:
        with pytest.raises(CommandError, match="Not confirmed"):
            run("drop_schema", tenant_schema.name)
    assert pg_schema_exists(tenant_schema.name) is not dropped


@pytest.mark.parametrize("name", ["public", "__template__"])
def test_drop_schema_never_drops_public_or_the_template(name):
    with pytest.raises(CommandError, match="never dropped"):
        run("drop_schema", name, yes=True)
    assert pg_schema_exists(name)


def test_drop_schema_of_an_unknown_schema_is_an_error():
    with pytest.raises(CommandError, match="Unknown schema 'ghost'"):
        run("drop_schema", "ghost", yes=True)


# -- list_schemas ------------------------------------------------------------------------


def listing():
    out, _ = run("list_schemas", format="json")
    return {item["name"]: item for item in json.loads(out)}


def test_list_schemas_reports_members_size_and_migration_state(schema_factory):
    busy = schema_factory(name="busy", display_name="Busy")
    schema_factory(name="idle")
    MembershipFactory(schema=busy)
    MembershipFactory(schema=busy)
    Schema.objects.filter(name="idle").update(is_active=False)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "DELETE FROM {}.django_migrations WHERE app = 'tenantapp' AND name = '0001_initial'"
            ).format(sql.Identifier("idle"))
        )

    info = listing()

    assert info["busy"]["display_name"] == "Busy"
    assert (info["busy"]["members"], info["idle"]["members"]) == (2, 0)
    assert (info["busy"]["is_active"], info["idle"]["is_active"]) == (True, False)
    assert info["busy"]["size_bytes"] > 0
    assert info["busy"]["migrations_pending"] == 0 and info["busy"]["migrations_applied"] > 0
    assert info["idle"]["migrations_pending"] == 1
    assert info["idle"]["migrations_applied"] == info["busy"]["migrations_applied"] - 1


def test_list_schemas_size_grows_with_data(tenant_schema):
    before = listing()[tenant_schema.name]["size_bytes"]
    with schema_context(tenant_schema.name):
        Tag.objects.bulk_create([Tag(name=f"tag-{i}-" + "x" * 40) for i in range(2000)])
    assert listing()[tenant_schema.name]["size_bytes"] > before


def test_list_schemas_query_count_does_not_grow_with_schemas(schema_factory):
    schema_factory()
    with CaptureQueriesContext(connection) as one:
        listing()
    schema_factory(), schema_factory(), schema_factory()
    with CaptureQueriesContext(connection) as four:
        assert len(listing()) == 4
    assert len(four) == len(one)


def test_list_schemas_table_shows_every_schema(schema_factory):
    schema_factory(name="tbl_one", display_name="Table One")
    out, _ = run("list_schemas")
    header, row = out.splitlines()[:2]
    assert header.split()[:2] == ["NAME", "DISPLAY"]
    assert row.startswith("tbl_one") and "Table One" in row and "up to date" in row


# -- run_in_schema -----------------------------------------------------------------------


def test_run_in_schema_runs_the_command_inside_the_schema(schema_factory):
    a, b = schema_factory(), schema_factory()
    with schema_context(a.name):
        Tag.objects.create(name="only-in-a")

    out, _ = run("run_in_schema", a.name, "dumpdata", "tenantapp.tag")
    assert "only-in-a" in out
    out, _ = run("run_in_schema", b.name, "dumpdata", "tenantapp.tag")
    assert "only-in-a" not in out


def test_run_in_all_schemas_reports_each_and_summarises_failures(schema_factory, tmp_path):
    a, b, c = schema_factory(), schema_factory(), schema_factory()
    with schema_context(b.name):
        Tag.objects.create(pk=2, name="taken")
    fixture = tmp_path / "tag.json"
    fixture.write_text(
        json.dumps([{"model": "tenantapp.tag", "pk": 1, "fields": {"name": "taken"}}])
    )

    with pytest.raises(CommandError, match=rf"loaddata failed in 1 schema\(s\): {b.name}\.") as exc:
        call_command(
            "run_in_schema",
            "--all",
            "loaddata",
            str(fixture),
            stdout=(out := io.StringIO()),
            stderr=(err := io.StringIO()),
        )
    assert exc.value.returncode == 1
    for schema in (a, b, c):
        assert f"Schema {schema.name}:" in out.getvalue()
    assert f"{b.name}: FAILED" in err.getvalue()
    assert "3 schema(s): 2 succeeded, 1 failed." in out.getvalue()
    assert tags(a.name) == tags(c.name) == ["taken"]


def test_run_in_schema_refusals():
    with pytest.raises(CommandError, match="Unknown schema 'ghost'"):
        run("run_in_schema", "ghost", "check")
    with pytest.raises(CommandError, match="Unknown command"):
        run("run_in_schema", "--all", "no_such_command")
    with pytest.raises(CommandError, match="Name a schema"):
        run("run_in_schema")


def test_list_schemas_flags_a_row_without_its_postgresql_schema():
    Schema.objects.bulk_create([Schema(name="orphan")])
    assert listing()["orphan"]["exists"] is False
    assert "PostgreSQL schema missing" in run("list_schemas")[0]
