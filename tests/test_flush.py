"""``flush`` never half-wipes: the database, one schema or every schema's data, all or nothing.

These run in the test's transaction: ``TRUNCATE`` and ``DROP SCHEMA`` are transactional in
PostgreSQL, so what a flush did is rolled back with the test.
"""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.signals import post_migrate

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Membership, Schema
from schemaswitch_admin.testing.factories import UserFactory
from tests.tenantapp.models import Note, Project, Tag

pytestmark = pytest.mark.django_db


def pg_schemas():
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor.fetchall()}


def fill(schema, owner):
    """A table with a foreign-key path to auth_user (project, note) and one without (tag)."""
    with schema_context(schema.name):
        project = Project.objects.create(name=f"{schema.name}-p", owner=owner)
        Note.objects.create(project=project, title="n")
        Tag.objects.create(name=f"{schema.name}-t")


def counts(schema):
    with schema_context(schema.name):
        return Project.objects.count(), Note.objects.count(), Tag.objects.count()


def flush(*args, **options):
    out = io.StringIO()
    call_command("flush", *args, interactive=False, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def world(schema_factory):
    owner = UserFactory(username="owner")
    a, b = schema_factory(), schema_factory()
    Membership.objects.create(user=owner, schema=a)
    Group.objects.create(name="staff")
    fill(a, owner)
    fill(b, owner)
    return a, b


def test_flush_empties_public_and_drops_every_tenant_schema_with_its_row(world):
    a, b = world

    flush()

    assert not Schema.objects.exists()
    assert {a.name, b.name}.isdisjoint(pg_schemas())
    assert "__template__" in pg_schemas()
    assert not User.objects.exists() and not Group.objects.exists()
    assert not Membership.objects.exists()


def test_after_flush_the_same_names_can_be_created_again(world):
    a, _b = world
    flush()

    listing = io.StringIO()
    call_command("list_schemas", stdout=listing)
    call_command("create_schema", a.name, stdout=io.StringIO())

    assert "No schemas" in listing.getvalue()
    assert counts(a) == (0, 0, 0)


def test_a_failing_flush_leaves_every_schema_and_public_as_they_were(world):
    a, b = world

    def explode(**kwargs):
        raise RuntimeError("post_migrate handler failed")

    post_migrate.connect(explode, dispatch_uid="test-flush-explode")
    try:
        with pytest.raises(RuntimeError, match="post_migrate handler failed"):
            flush()
    finally:
        post_migrate.disconnect(dispatch_uid="test-flush-explode")

    assert sorted(Schema.objects.values_list("name", flat=True)) == sorted([a.name, b.name])
    assert {a.name, b.name} <= pg_schemas()
    assert counts(a) == counts(b) == (1, 1, 1)
    assert User.objects.filter(username="owner").exists()


def test_a_row_with_an_invalid_name_never_drops_the_schema_it_names(db):
    Schema.objects.bulk_create([Schema(name="public")])  # only possible with raw writes

    flush()

    assert "public" in pg_schemas()
    assert not Schema.objects.exists()


@pytest.mark.parametrize("how", ["option", "run_in_schema"])
def test_flushing_one_schema_empties_its_private_tables_only(world, how):
    a, b = world

    if how == "option":
        flush(schema=a.name)
    else:
        call_command("run_in_schema", a.name, "flush", "--noinput", stdout=io.StringIO())

    assert counts(a) == (0, 0, 0)
    assert counts(b) == (1, 1, 1)
    assert Schema.objects.count() == 2 and Membership.objects.count() == 1
    assert User.objects.filter(username="owner").exists() and Group.objects.exists()


def test_flushing_every_schema_keeps_the_schemas_rows_and_shared_data(world):
    a, b = world

    out = flush(all_schemas=True)

    assert counts(a) == counts(b) == (0, 0, 0)
    assert sorted(Schema.objects.values_list("name", flat=True)) == sorted([a.name, b.name])
    assert {a.name, b.name} <= pg_schemas()
    assert User.objects.filter(username="owner").exists() and Group.objects.exists()
    assert "Emptied 2 schema(s)." in out


def test_the_prompt_names_the_schemas_it_drops_and_no_changes_nothing(world, monkeypatch):
    a, b = world
    asked = []

    def answer(prompt):
        asked.append(prompt)
        return "no"

    monkeypatch.setattr("builtins.input", answer)
    out = io.StringIO()
    call_command("flush", stdout=out)

    assert "2 tenant schema(s) are dropped" in asked[0]
    assert a.name in asked[0] and b.name in asked[0]
    assert "Flush cancelled." in out.getvalue()
    assert counts(a) == counts(b) == (1, 1, 1)
    assert Schema.objects.count() == 2


def test_flush_refuses_unknown_and_empty_schema_names(world):
    a, b = world
    with pytest.raises(CommandError, match="Unknown schema 'ghost'"):
        flush(schema="ghost")
    with pytest.raises(CommandError, match="empty"):
        flush(schema="")
    assert counts(a) == counts(b) == (1, 1, 1)
    assert User.objects.exists()


def test_a_schema_without_a_row_that_points_at_shared_tables_is_refused(world):
    """Flushing public would cascade into such a schema's tables with foreign keys to users
    and leave its other tables: nothing is flushed instead."""
    a, b = world
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE SCHEMA stranger; "
            "CREATE TABLE stranger.owned (user_id integer REFERENCES public.auth_user (id)); "
            "INSERT INTO stranger.owned SELECT id FROM public.auth_user"
        )

    with pytest.raises(CommandError, match="without a Schema row.*stranger.*nothing was flushed"):
        flush()

    assert counts(a) == counts(b) == (1, 1, 1)
    assert Schema.objects.count() == 2 and User.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM stranger.owned")
        assert cursor.fetchone()[0] == 1


def test_the_template_is_emptied_whole(world):
    with schema_context("__template__"):
        project = Project.objects.create(name="in-template", owner=User.objects.first())
        Note.objects.create(project=project, title="n")
        Tag.objects.create(name="template-tag")

    flush()

    with schema_context("__template__"):
        assert (Project.objects.count(), Note.objects.count(), Tag.objects.count()) == (0, 0, 0)
