"""The Citus support on plain PostgreSQL: every command that needs Citus refuses with a clear
message and changes nothing, the ones that only adapt to it (list_schemas, loaddata, clone,
migrate) behave as before, and the deploy checks only speak when the project says it runs on
Citus. The Citus flow itself is tests/hardening/test_citus.py."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from schemaswitch_admin import schema_context
from schemaswitch_admin.citus.checks import check_citus_models, model_problems
from schemaswitch_admin.management.commands.move_schema import parse_node
from schemaswitch_admin.sequences import reset_sequences
from tests.tenantapp.models import Note, Project, Tag


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args", [("citus_setup",), ("move_schema", "__template__", "--node", "127.0.0.1:5432")]
)
def test_commands_that_need_citus_refuse_on_plain_postgresql_and_change_nothing(args):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_db_role_setting")
        before = cursor.fetchone()

    with pytest.raises(CommandError, match="has no Citus extension"):
        call_command(*args)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_db_role_setting")
        assert cursor.fetchone() == before


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("10.0.0.7:5432", ("10.0.0.7", 5432)), ("worker-1.internal:6432", ("worker-1.internal", 6432)),
     ("[::1]:5432", ("::1", 5432)), ("::1:5432", ("::1", 5432))],
)  # fmt: skip
def test_a_node_is_host_colon_port(value, parsed):
    assert parse_node(value) == parsed


@pytest.mark.parametrize(
    "value", ["no-port", ":5432", "host:", "host:0", "host:65536", "h:p", "[]:5432"]
)
def test_a_malformed_node_is_refused(value):
    with pytest.raises(CommandError, match="--node must be HOST:PORT"):
        parse_node(value)


@pytest.mark.django_db
def test_list_schemas_without_citus_has_no_node_and_asks_for_citus_once(schema_factory):
    schema_factory()

    with CaptureQueriesContext(connection) as listed:
        table = run("list_schemas")
    items = json.loads(run("list_schemas", "--format", "json"))

    assert "NODE" not in table.splitlines()[0]
    assert items and all("node" not in item for item in items)
    citus_probes = [q for q in listed.captured_queries if "pg_extension" in q["sql"]]
    assert len(citus_probes) == 1


@pytest.mark.django_db
def test_the_sequence_reset_reads_the_maxima_then_moves_the_sequences_in_two_statements(
    tenant_schema,
):
    with schema_context(tenant_schema.name):
        project = Project.objects.create(name="p")
        Tag.objects.create(id=40, name="explicit id")
        Note.objects.create(id=7, project=project, title="t", body="b")
        with CaptureQueriesContext(connection) as reset:
            reset_sequences(connection, [Project, Tag, Note])

        assert len(reset) == 2
        assert "setval" not in reset.captured_queries[0]["sql"]
        # The statement that moves the sequences reads no table.
        assert " FROM " not in reset.captured_queries[1]["sql"]
        assert Tag.objects.create(name="next").id == 41
        assert Note.objects.create(project=project, title="u", body="c").id == 8
        assert Project.objects.create(name="q").id == project.id + 1


@pytest.mark.django_db
@pytest.mark.django_db
def test_loading_into_one_schema_moves_only_that_schemas_sequences(schema_factory, tmp_path):
    """The reset names tables unqualified, so it acts where the path points: the schema
    loaded into, never another tenant's (nor the template's) sequence."""
    loaded, other = schema_factory(), schema_factory()
    fixture = tmp_path / "tags.json"
    fixture.write_text(json.dumps([
        {"model": "tenantapp.tag", "pk": 500, "fields": {"name": "far"}},
    ]))  # fmt: skip

    call_command("loaddata", str(fixture), "--schema", loaded.name, verbosity=0)

    with schema_context(other.name):
        assert Tag.objects.create(name="first here").id == 1
    with schema_context("__template__"), connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM tenantapp_tag_id_seq")
        assert cursor.fetchone() == (1, False)
    with schema_context(loaded.name):
        assert Tag.objects.create(name="next").id == 501


def test_the_sequence_of_an_empty_table_restarts_at_one(tenant_schema):
    with schema_context(tenant_schema.name):
        Tag.objects.create(name="gone").delete()
        reset_sequences(connection, [Tag])

        assert Tag.objects.create(name="first").id == 1


def test_the_citus_deploy_checks_are_silent_unless_the_project_runs_on_citus():
    assert check_citus_models() == []
    with override_settings(SCHEMASWITCH_CITUS=True):
        assert check_citus_models() == model_problems()


def problems_of(target, *others):
    """The Citus problems reported for model ``target``; ``target`` and ``others`` (models
    defined by the test) are taken out of the registry again."""
    from django.apps import apps

    try:
        return [m for m in model_problems() if m.obj is target]
    finally:
        for model in (target, *others):
            del apps.all_models[model._meta.app_label][model._meta.model_name]
        apps.clear_cache()


def test_a_32_bit_private_id_is_warned_about_for_citus():
    from django.db import models

    class Legacy32(models.Model):  # noqa: DJ008 - never shown
        id = models.AutoField(primary_key=True)

        class Meta:
            app_label = "tenantapp"

    found = problems_of(Legacy32)

    assert [m.id for m in found] == ["schemaswitch_admin.W040"]
    assert "BigAutoField" in found[0].hint


def test_a_private_reference_to_an_unmanaged_shared_model_is_an_error_for_citus():
    from django.db import models

    class SharedView(models.Model):  # noqa: DJ008 - never shown
        class Meta:
            app_label = "auth"
            managed = False
            db_table = "some_view"

    class PointsAtView(models.Model):  # noqa: DJ008 - never shown
        target = models.ForeignKey(SharedView, on_delete=models.CASCADE)

        class Meta:
            app_label = "tenantapp"

    found = problems_of(PointsAtView, SharedView)

    assert [m.id for m in found] == ["schemaswitch_admin.E041"]
