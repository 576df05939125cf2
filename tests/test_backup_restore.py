"""docs/backup-restore.md, end to end: back up this database, restore it onto a new one.

The commands run as a user runs them (``python -m django ...`` in subprocesses). The source is
the test database, with committed data (``transactional_db``); the target is a second
database created by the test and dropped after it.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Membership
from schemaswitch_admin.testing.factories import SchemaFactory, UserFactory
from tests.tenantapp.models import Note, Project, Tag

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def manage(database, *args):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SCHEMASWITCH_DB_NAME": database,
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done


def ok(done):
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def source(transactional_db):
    """Two schemas with data pointing at shared rows (users, content types), memberships,
    a group with permissions and an admin log entry, all committed."""
    alice = UserFactory(username="alice")
    UserFactory(username="bob")
    group = Group.objects.create(name="editors")
    group.permissions.set(Permission.objects.filter(codename__in=["add_user", "view_group"]))
    alice.groups.add(group)
    LogEntry.objects.create(
        user=alice,
        content_type=ContentType.objects.get_for_model(Group),
        object_id=str(group.pk),
        object_repr="editors",
        action_flag=ADDITION,
    )
    schemas = [SchemaFactory(name="bk_acme"), SchemaFactory(name="bk_globex")]
    for index, schema in enumerate(schemas):
        Membership.objects.create(user=alice, schema=schema)
        with schema_context(schema.name):
            for number in range(3 + index):
                project = Project.objects.create(name=f"p{number}", owner=alice)
                note = Note.objects.create(project=project, title=f"n{number}", priority=number)
                note.tags.set([Tag.objects.create(name=f"{schema.name}-t{number}")])
            Tag.objects.filter(name__endswith="-t0").delete()  # gaps in the ids
    _whole_milliseconds(schemas)
    yield connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema.name))
            )


def _whole_milliseconds(schemas) -> None:
    """Django's JSON serializer writes times to the millisecond and drops a zero fraction:
    a time of 12:00:00.000412 is dumped as "12:00:00.000" but, once restored from that
    fixture, dumped as "12:00:00". Times with whole milliseconds compare byte for byte."""
    columns = [
        ("public", "auth_user", "date_joined"),
        ("public", "django_admin_log", "action_time"),
        ("public", "schemaswitch_admin_schema", "created_at"),
        ("public", "schemaswitch_admin_membership", "created_at"),
        *((s.name, "tenantapp_project", "created_at") for s in schemas),
    ]
    with connection.cursor() as cursor:
        for schema, table, column in columns:
            cursor.execute(
                sql.SQL("UPDATE {}.{} SET {} = date_trunc('milliseconds', {})").format(
                    sql.Identifier(schema),
                    sql.Identifier(table),
                    sql.Identifier(column),
                    sql.Identifier(column),
                )
            )


@pytest.fixture
def fresh_database():
    name = connection.settings_dict["NAME"] + "_restore"
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


SHARED_DUMP = ["--natural-foreign", "-e", "contenttypes", "-e", "auth.permission", "--indent", "1"]
SCHEMA_DUMP = ["--all-schemas", "--natural-foreign", "--indent", "1", "-o"]


def dumps(database, directory):
    """What the docs compare: the shared data and every schema's data, as fixtures. The
    test database is dumped in this process, the restored one by a subprocess."""
    if database == connection.settings_dict["NAME"]:
        out = io.StringIO()
        call_command("dumpdata", *SHARED_DUMP, stdout=out, stderr=io.StringIO())
        call_command("dumpdata", *SCHEMA_DUMP, directory, stdout=io.StringIO())
        shared = out.getvalue()
    else:
        shared = ok(manage(database, "dumpdata", *SHARED_DUMP))
        ok(manage(database, "dumpdata", *SCHEMA_DUMP, directory))
    return shared, {p.name: p.read_bytes() for p in sorted(Path(directory).iterdir())}


@pytest.mark.parametrize("how", ["fixtures", "snapshots", "loaddata by hand"])
def test_a_backup_restored_onto_a_fresh_database_gives_identical_dumps(
    source, fresh_database, tmp_path, how
):
    backup = tmp_path / "backup"
    ok(manage(source, "backup", backup, *(["--snapshots"] if how == "snapshots" else [])))

    ok(manage(fresh_database, "migrate", "--noinput", "-v", "0"))
    if how == "loaddata by hand":
        created = ok(manage(fresh_database, "loaddata", backup / "shared.json", "--create-schemas"))
        ok(manage(fresh_database, "loaddata", "--all-schemas", backup / "schemas"))
        assert "Created 2 PostgreSQL schema(s) for the loaded rows: bk_acme, bk_globex." in created
    else:
        restored = ok(manage(fresh_database, "restore", backup))
        assert "Restored the shared data and 2 schema(s)" in restored

    before = dumps(source, tmp_path / "before")
    after = dumps(fresh_database, tmp_path / "after")
    assert after == before
    assert set(before[1]) == {"bk_acme.json", "bk_globex.json"}
    assert b'"bk_acme-t1"' in before[1]["bk_acme.json"]
    assert '"alice"' in before[0] and '"editors"' in before[0]
    listing = ok(manage(fresh_database, "list_schemas"))
    assert "bk_acme" in listing and "bk_globex" in listing
    assert "missing" not in listing


def test_restore_refuses_a_database_that_is_not_fresh_and_changes_nothing(source, tmp_path):
    backup = tmp_path / "backup"
    ok(manage(source, "backup", backup))
    before = dumps(source, tmp_path / "before")

    refused = manage(source, "restore", backup)

    assert refused.returncode == 1
    assert "freshly migrated" in refused.stderr and "bk_acme" in refused.stderr
    assert dumps(source, tmp_path / "after") == before


def test_restore_before_migrate_says_to_migrate(source, fresh_database, tmp_path):
    backup = tmp_path / "backup"
    ok(manage(source, "backup", backup))

    refused = manage(fresh_database, "restore", backup)

    assert refused.returncode == 1
    assert "run 'manage.py migrate'" in refused.stderr
