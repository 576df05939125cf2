"""Issue 13, items 3 to 5: what loaddata refuses and what its messages say.

Every refusal leaves the database as it was; every message names the file and the reason.
"""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Schema
from tests.tenantapp.models import Tag

pytestmark = pytest.mark.django_db


def load(*fixtures, **options):
    out = io.StringIO()
    call_command("loaddata", *map(str, fixtures), stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def write(path, objects):
    path.write_text(objects if isinstance(objects, str) else json.dumps(objects))
    return path


def schema_row(pk, name):
    return {
        "model": "schemaswitch_admin.schema",
        "pk": pk,
        "fields": {
            "name": name,
            "display_name": "",
            "is_active": True,
            "created_at": "2024-01-02T03:04:05Z",
        },
    }


# -- 3: invalid Schema rows never load ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("public", "reserved"),
        ("__template__", "not a valid schema name|reserved"),
        ("pg_toast", "reserved"),
        ("Bad Name", "not a valid schema name"),
        ("information_schema", "reserved"),
    ],
)
def test_a_schema_row_with_an_invalid_name_is_refused_and_nothing_loads(tmp_path, name, reason):
    fixture = write(
        tmp_path / "shared.json",
        [
            {"model": "auth.group", "pk": 5, "fields": {"name": "g", "permissions": []}},
            schema_row(900, name),
        ],
    )

    with pytest.raises(CommandError, match=rf"(?s)shared\.json.*{reason}"):
        load(fixture)

    assert not Schema.objects.filter(pk=900).exists()
    from django.contrib.auth.models import Group

    assert not Group.objects.filter(pk=5).exists()


# -- 4: an empty --schema is refused, the template refusal tells the truth ------------------


@pytest.mark.parametrize("command", ["loaddata", "dumpdata"])
def test_an_empty_schema_option_is_refused_not_taken_for_public(tmp_path, command):
    fixture = write(
        tmp_path / "groups.json",
        [{"model": "auth.group", "pk": 5, "fields": {"name": "g", "permissions": []}}],
    )
    args = [str(fixture)] if command == "loaddata" else ["auth.group"]

    with pytest.raises(CommandError, match="--schema.*empty"):
        call_command(command, *args, schema="", stdout=io.StringIO(), stderr=io.StringIO())

    from django.contrib.auth.models import Group

    assert not Group.objects.exists()


def test_the_template_refusal_does_not_claim_new_schemas_copy_its_rows(tmp_path):
    fixture = write(
        tmp_path / "t.json", [{"model": "tenantapp.tag", "pk": 1, "fields": {"name": "x"}}]
    )

    with pytest.raises(CommandError) as refused:
        load(fixture, schema="__template__")

    message = str(refused.value)
    assert "--allow-template" in message
    assert "would copy" not in message
    assert "do not copy its rows" in message


def test_rows_loaded_into_the_template_are_not_copied_into_new_schemas(tmp_path, schema_factory):
    """What the refusal message says is true: cloning copies structure, not rows."""
    fixture = write(
        tmp_path / "t.json", [{"model": "tenantapp.tag", "pk": 1, "fields": {"name": "x"}}]
    )
    load(fixture, schema="__template__", allow_template=True)

    fresh = schema_factory()

    with schema_context(fresh.name):
        assert not Tag.objects.exists()


# -- 5: messages name the file, the reason and the models -----------------------------------


@pytest.mark.parametrize(
    ("file_name", "content", "reason"),
    [
        ("cut.json", '[{"model": "auth.group", "pk": 5, "fi', "Expecting|Unterminated|delimiter"),
        ("cut.jsonl", '{"model": "auth.group", "pk": 5, "fi', "Expecting|Unterminated|delimiter"),
        (
            "cut.xml",
            '<?xml version="1.0"?><django-objects version="1.0"><object',
            "unclosed|token|no element",
        ),
    ],
)
def test_a_broken_fixture_names_its_file_and_the_parser_error(tmp_path, file_name, content, reason):
    fixture = write(tmp_path / file_name, content)

    with pytest.raises(
        CommandError, match=rf"(?s)Problem installing fixture '[^']*{file_name}': .*({reason})"
    ):
        load(fixture)


def test_private_data_without_schema_names_every_private_model_of_the_fixture(tmp_path):
    fixture = write(
        tmp_path / "mixed.json",
        [
            {"model": "tenantapp.tag", "pk": 1, "fields": {"name": "t"}},
            {"model": "auth.group", "pk": 5, "fields": {"name": "g", "permissions": []}},
            {
                "model": "tenantapp.project",
                "pk": 2,
                "fields": {"name": "p", "owner": None, "created_at": "2024-01-02T03:04:05Z"},
            },
            {"model": "tenantapp.tag", "pk": 3, "fields": {"name": "u"}},
        ],
    )

    with pytest.raises(CommandError) as refused:
        load(fixture)

    message = str(refused.value)
    assert "mixed.json" in message
    assert "tenantapp.Project, tenantapp.Tag" in message
    assert "--schema NAME" in message

    from django.contrib.auth.models import Group

    assert not Group.objects.exists()


def test_shared_data_with_schema_names_every_shared_model_of_the_fixture(tmp_path, tenant_schema):
    fixture = write(
        tmp_path / "mixed.json",
        [
            {"model": "auth.group", "pk": 5, "fields": {"name": "g", "permissions": []}},
            {"model": "tenantapp.tag", "pk": 1, "fields": {"name": "t"}},
            schema_row(901, "zeta"),
        ],
    )

    with pytest.raises(CommandError) as refused:
        load(fixture, schema=tenant_schema.name)

    message = str(refused.value)
    assert "auth.Group, schemaswitch_admin.Schema" in message
    assert "without --schema" in message
    with schema_context(tenant_schema.name):
        assert not Tag.objects.exists()


# -- 2: Schema rows and their PostgreSQL schemas load together, or not at all -----------------


def test_a_schema_row_without_its_postgresql_schema_is_refused(tmp_path):
    fixture = write(tmp_path / "shared.json", [schema_row(902, "restored")])

    with pytest.raises(
        CommandError, match=r"without a PostgreSQL schema: restored.*--create-schemas"
    ):
        load(fixture)

    assert not Schema.objects.filter(name="restored").exists()


def test_create_schemas_clones_the_template_for_the_loaded_rows(tmp_path):
    fixture = write(tmp_path / "shared.json", [schema_row(903, "restored")])

    out = load(fixture, create_schemas=True)

    assert "Created 1 PostgreSQL schema(s) for the loaded rows: restored." in out
    with schema_context("restored"):
        assert not Tag.objects.exists()  # the tables exist, empty
    listing = io.StringIO()
    call_command("list_schemas", "--format", "json", stdout=listing)
    assert [s["exists"] for s in json.loads(listing.getvalue()) if s["name"] == "restored"] == [
        True
    ]
