"""The commands as a shell runs them: ``python -m django ...`` in a subprocess, exit codes.

These tests commit (``transactional_db``) so the subprocess sees their data; the subprocess
reaches the test database through ``SCHEMASWITCH_DB_NAME`` (see tests/settings.py). Each
subprocess costs about a second, so there are few of them.
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Schema
from schemaswitch_admin.testing.factories import SchemaFactory
from tests.tenantapp.models import Note, Project, Tag
from tests.timestamps import pin_project_times

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, stdin=""):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SCHEMASWITCH_DB_NAME": connection.settings_dict["NAME"],
    }
    return subprocess.run(
        [sys.executable, "-m", "django", *map(str, args)],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def committed_schema(transactional_db):
    """Schemas that really exist for other processes; dropped afterwards, since the flush at
    the end of a transactional test empties public's tables but leaves schemas behind."""
    made = []

    def make():
        schema = SchemaFactory()
        made.append(schema.name)
        return schema

    yield make
    with connection.cursor() as cursor:
        for name in made:
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def dump(name):
    out = io.StringIO()
    call_command("dumpdata", "tenantapp", schema=name, indent=2, stdout=out)
    return out.getvalue()


def test_dump_load_and_a_failed_load_from_the_shell(committed_schema, tmp_path):
    source, target = committed_schema(), committed_schema()
    with schema_context(source.name):
        project = Project.objects.create(name="alpha")
        note = Note.objects.create(project=project, title="n", priority=2)
        note.tags.set([Tag.objects.create(name="red")])
    pin_project_times(source.name)

    dumped = manage("dumpdata", "tenantapp", "--schema", source.name, "--indent", "2")
    assert dumped.returncode == 0, dumped.stderr
    assert dumped.stdout == dump(source.name)

    fixture = tmp_path / "source.json"
    fixture.write_text(dumped.stdout)
    loaded = manage("loaddata", fixture, "--schema", target.name)
    assert loaded.returncode == 0, loaded.stderr
    assert dump(target.name) == dump(source.name)

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [
                {"model": "tenantapp.tag", "pk": 40, "fields": {"name": "fine"}},
                {"model": "tenantapp.tag", "pk": 41, "fields": {"name": "red"}},
            ]
        )
    )
    before = dump(target.name)
    failed = manage("loaddata", bad, "--schema", target.name)
    assert failed.returncode == 1
    assert "CommandError: Nothing was loaded" in failed.stderr
    assert "bad.json" in failed.stderr and "Tag(pk=41)" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert dump(target.name) == before


def test_drop_schema_from_the_shell_needs_yes(committed_schema):
    schema = committed_schema()

    refused = manage("drop_schema", schema.name, "--noinput")
    assert refused.returncode == 1
    assert "without --yes" in refused.stderr
    assert Schema.objects.filter(name=schema.name).exists()

    dropped = manage("drop_schema", schema.name, stdin=f"{schema.name}\n")
    assert dropped.returncode == 0, dropped.stderr
    assert not Schema.objects.filter(name=schema.name).exists()
