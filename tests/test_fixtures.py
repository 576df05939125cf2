"""dumpdata / loaddata per schema: round trips, refusals, atomicity and sequence reset."""

import gzip
import io
import json

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import connection

from schemaswitch_admin import schema_context
from schemaswitch_admin.fixtures import read_snapshot
from schemaswitch_admin.models import Schema
from schemaswitch_admin.testing.factories import UserFactory
from tests.tenantapp.models import Note, Project, Tag
from tests.timestamps import pin_project_times

pytestmark = pytest.mark.django_db


def populate(schema, prefix="a", owner=None):
    """Projects, tags and notes with a many-to-many, in ``schema``."""
    with schema_context(schema.name):
        alpha = Project.objects.create(name=f"{prefix}-alpha", owner=owner)
        beta = Project.objects.create(name=f"{prefix}-beta")
        red, blue = (
            Tag.objects.create(name=f"{prefix}-red"),
            Tag.objects.create(name=f"{prefix}-blue"),
        )
        first = Note.objects.create(project=alpha, title="first", body="x", priority=3)
        first.tags.set([red, blue])
        second = Note.objects.create(project=beta, title="second", priority=10)
        second.tags.set([blue])
    pin_project_times(schema.name)


def dump(schema=None, *labels, **options):
    out = io.StringIO()
    call_command(
        "dumpdata",
        *(labels or ("tenantapp",)),
        schema=getattr(schema, "name", schema),
        indent=2,
        stdout=out,
        stderr=io.StringIO(),
        **options,
    )
    return out.getvalue()


def load(*fixtures, **options):
    out = io.StringIO()
    call_command("loaddata", *map(str, fixtures), stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def write(path, objects):
    path.write_text(json.dumps(objects))
    return path


def test_round_trip_into_a_new_schema_gives_the_same_dump(schema_factory, tmp_path):
    a, b = schema_factory(), schema_factory()
    populate(a, owner=UserFactory())
    original = dump(a)
    (tmp_path / "a.json").write_text(original)

    load(tmp_path / "a.json", schema=b.name)

    assert dump(b) == original
    assert json.loads(original)  # not trivially empty
    with schema_context(b.name):
        assert sorted(Note.objects.get(title="first").tags.values_list("name", flat=True)) == [
            "a-blue",
            "a-red",
        ]


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [
        ("jsonl", ".jsonl.gz"),
        ("xml", ".xml.bz2"),
        ("json", ".json.xz"),
        ("yaml", ".yaml"),
        ("yaml", ".yaml.gz"),
    ],
)
def test_round_trip_with_django_options_and_compression(schema_factory, tmp_path, fmt, suffix):
    a, b = schema_factory(), schema_factory()
    populate(a, owner=UserFactory(username="ann"))
    path = tmp_path / f"dump{suffix}"
    dump(a, "tenantapp", format=fmt, output=str(path), use_natural_foreign_keys=True)

    load(path, schema=b.name)

    assert dump(b) == dump(a)
    with schema_context(b.name):
        assert Project.objects.get(name="a-alpha").owner.username == "ann"


def test_plain_django_fixture_loads_into_a_schema(tenant_schema, tmp_path):
    plain = write(
        tmp_path / "plain.json",
        [
            {
                "model": "tenantapp.project",
                "pk": 7,
                "fields": {"name": "p", "owner": None, "created_at": "2024-01-02T03:04:05Z"},
            },
            {"model": "tenantapp.tag", "pk": 3, "fields": {"name": "t"}},
            {
                "model": "tenantapp.note",
                "pk": 9,
                "fields": {"project": 7, "title": "n", "body": "", "priority": 1, "tags": [3]},
            },
        ],
    )
    out = load(plain, schema=tenant_schema.name)

    assert "Installed 3 object(s) from 1 fixture(s)" in out
    with schema_context(tenant_schema.name):
        assert list(Note.objects.get(pk=9).tags.values_list("pk", flat=True)) == [3]


PLAIN_YAML = """\
- model: tenantapp.project
  pk: 7
  fields: {name: p, owner: null, created_at: 2024-01-02 03:04:05+00:00}
- model: tenantapp.tag
  pk: 3
  fields: {name: t}
- model: tenantapp.note
  pk: 9
  fields: {project: 7, title: n, body: '', priority: 1, tags: [3]}
"""


def test_plain_django_yaml_fixture_loads_into_a_schema_and_nowhere_else(schema_factory, tmp_path):
    target, other = schema_factory(), schema_factory()
    (tmp_path / "plain.yaml").write_text(PLAIN_YAML)

    out = load(tmp_path / "plain.yaml", schema=target.name)

    assert "Installed 3 object(s) from 1 fixture(s)" in out
    with schema_context(target.name):
        assert list(Note.objects.get(pk=9).tags.values_list("pk", flat=True)) == [3]
    with schema_context(other.name):
        assert not Note.objects.exists()


def test_schema_dump_in_yaml_is_what_plain_django_reads(tenant_schema):
    populate(tenant_schema)
    text = dump(tenant_schema, format="yaml")
    objects = list(serializers.deserialize("yaml", text, ignorenonexistent=False))
    assert {type(o.object) for o in objects} == {Project, Tag, Note}
    assert len(objects) == 6


def test_all_schemas_round_trip_in_yaml(schema_factory, tmp_path):
    a, b = schema_factory(), schema_factory()
    populate(a, prefix="a")
    populate(b, prefix="b")
    before = dump(a), dump(b)
    call_command(
        "dumpdata", "tenantapp", all_schemas=True, output_dir=str(tmp_path), format="yaml",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{a.name}.yaml", f"{b.name}.yaml"]
    for schema in (a, b):
        with schema_context(schema.name):
            Note.objects.all().delete()
            Project.objects.all().delete()
            Tag.objects.all().delete()

    load(tmp_path, all_schemas=True)

    assert (dump(a), dump(b)) == before


def test_schema_dump_is_plain_django_format(tenant_schema):
    populate(tenant_schema)
    objects = list(serializers.deserialize("json", dump(tenant_schema), ignorenonexistent=False))
    assert {type(o.object) for o in objects} == {Project, Tag, Note}
    assert {key for item in json.loads(dump(tenant_schema)) for key in item} == {
        "model",
        "pk",
        "fields",
    }


def test_sequences_are_reset_in_the_target_schema_only(schema_factory, tmp_path):
    source, target = schema_factory(), schema_factory()
    with schema_context(source.name):
        Tag.objects.create(name="one")
    fixture = write(
        tmp_path / "tags.json",
        [{"model": "tenantapp.tag", "pk": pk, "fields": {"name": f"t{pk}"}} for pk in (5, 100)],
    )
    load(fixture, schema=target.name)

    with schema_context(target.name):
        assert Tag.objects.create(name="after-load").pk == 101
    with schema_context(source.name):
        assert Tag.objects.create(name="two").pk == 2


def test_all_schemas_round_trip(schema_factory, tmp_path):
    a, b = schema_factory(), schema_factory()
    populate(a, prefix="a")
    populate(b, prefix="b")
    first, second = tmp_path / "first", tmp_path / "second"
    call_command(
        "dumpdata",
        "tenantapp",
        all_schemas=True,
        output_dir=str(first),
        compress="gz",
        indent=2,
        stdout=io.StringIO(),
    )
    assert sorted(p.name for p in first.iterdir()) == [f"{a.name}.json.gz", f"{b.name}.json.gz"]
    for schema in (a, b):
        with schema_context(schema.name):
            Note.objects.all().delete()
            Project.objects.all().delete()
            Tag.objects.all().delete()

    out = load(first, all_schemas=True)

    call_command(
        "dumpdata",
        "tenantapp",
        all_schemas=True,
        output=str(second),
        compress="gz",
        indent=2,
        stdout=io.StringIO(),
    )
    for schema in (a, b):
        name = f"{schema.name}.json.gz"
        restored = gzip.decompress((second / name).read_bytes())
        assert restored == gzip.decompress((first / name).read_bytes())
        assert b"-alpha" in restored
    assert f"Schema {a.name}:" in out and f"Schema {b.name}:" in out


def test_all_schemas_load_is_all_or_nothing(schema_factory, tmp_path):
    a, b = schema_factory(), schema_factory()
    populate(b)
    before = dump(a), dump(b)
    write(
        tmp_path / f"{a.name}.json", [{"model": "tenantapp.tag", "pk": 1, "fields": {"name": "ok"}}]
    )
    write(
        tmp_path / f"{b.name}.json",
        [{"model": "tenantapp.tag", "pk": 99, "fields": {"name": "a-red"}}],
    )

    with pytest.raises(
        CommandError, match=rf"schema '{b.name}'.*Could not load tenantapp.Tag\(pk=99\)"
    ):
        load(tmp_path, all_schemas=True)

    assert (dump(a), dump(b)) == before


def test_all_schemas_load_refuses_a_missing_schema_before_loading(tenant_schema, tmp_path):
    write(
        tmp_path / f"{tenant_schema.name}.json",
        [{"model": "tenantapp.tag", "pk": 1, "fields": {"name": "ok"}}],
    )
    write(tmp_path / "ghost.json", [{"model": "tenantapp.tag", "pk": 1, "fields": {"name": "x"}}])
    before = dump(tenant_schema)

    with pytest.raises(CommandError, match="Unknown schema.*ghost"):
        load(tmp_path, all_schemas=True)

    assert dump(tenant_schema) == before


# -- every failure leaves the target schema as it was ------------------------------------


def good_tag(pk=50):
    return {"model": "tenantapp.tag", "pk": pk, "fields": {"name": f"new{pk}"}}


BAD_FIXTURES = {
    "bad json": (
        '[{"model": "tenantapp.tag", "pk": 50, "fields": {"name": "x"}}, {',
        "bad.json",
        r"Problem installing fixture '.*bad\.json'",
    ),
    "unknown model": (
        [good_tag(), {"model": "tenantapp.nope", "pk": 1, "fields": {}}],
        "unknown.json",
        r"unknown\.json.*Invalid model identifier: '?tenantapp.nope",
    ),
    "unique violation": (
        [good_tag(), {"model": "tenantapp.tag", "pk": 51, "fields": {"name": "a-red"}}],
        "unique.json",
        r"unique\.json.*Could not load tenantapp.Tag\(pk=51\).*duplicate key",
    ),
    "check constraint": (
        [
            good_tag(),
            {
                "model": "tenantapp.note",
                "pk": 60,
                "fields": {"project": 1, "title": "t", "priority": 11, "tags": []},
            },
        ],
        "check.json",
        r"check\.json.*tenantapp.Note\(pk=60\).*note_priority_max",
    ),
    "dangling foreign key": (
        [
            good_tag(),
            {
                "model": "tenantapp.note",
                "pk": 61,
                "fields": {"project": 999, "title": "t", "priority": 1, "tags": []},
            },
        ],
        "fk.json",
        r"Problem installing fixtures: .*tenantapp_note.*foreign key",
    ),
    "shared data with --schema": (
        [good_tag(), {"model": "auth.group", "pk": 5, "fields": {"name": "g", "permissions": []}}],
        "shared.json",
        r"shared\.json.*shared models.*auth.Group",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FIXTURES))
def test_failed_load_changes_nothing_and_says_what_and_where(tenant_schema, tmp_path, case):
    content, file_name, message = BAD_FIXTURES[case]
    populate(tenant_schema)
    path = tmp_path / file_name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    before_schema, before_shared = dump(tenant_schema), dump(None, "auth")

    with pytest.raises(CommandError, match=rf"(?s)into schema '{tenant_schema.name}'.*{message}"):
        load(path, schema=tenant_schema.name)

    assert dump(tenant_schema) == before_schema
    assert dump(None, "auth") == before_shared


def test_failure_in_a_later_fixture_undoes_the_earlier_ones(tenant_schema, tmp_path):
    good = write(tmp_path / "good.json", [good_tag(70)])
    bad = write(
        tmp_path / "bad.json", [{"model": "tenantapp.tag", "pk": 71, "fields": {"name": "new70"}}]
    )
    before = dump(tenant_schema)

    with pytest.raises(CommandError, match="bad.json"):
        load(good, bad, schema=tenant_schema.name)

    assert dump(tenant_schema) == before


def test_private_data_without_schema_is_refused_and_changes_nothing(tenant_schema, tmp_path):
    fixture = write(
        tmp_path / "mixed.json",
        [
            {"model": "auth.group", "pk": 5, "fields": {"name": "g", "permissions": []}},
            good_tag(),
        ],
    )
    before_schema, before_shared = dump(tenant_schema), dump(None, "auth")

    with pytest.raises(CommandError, match=r"'public'.*mixed\.json.*private models.*tenantapp.Tag"):
        load(fixture)

    assert dump(tenant_schema) == before_schema
    assert dump(None, "auth") == before_shared


def test_shared_data_loads_without_schema(tmp_path):
    fixture = write(
        tmp_path / "groups.json",
        [{"model": "auth.group", "pk": 5, "fields": {"name": "g", "permissions": []}}],
    )
    load(fixture)
    assert '"name": "g"' in dump(None, "auth.group")


def test_template_is_refused_unless_allowed(tmp_path):
    fixture = write(tmp_path / "t.json", [good_tag()])
    with pytest.raises(CommandError, match="template schema.*--allow-template"):
        load(fixture, schema="__template__")
    assert json.loads(dump("__template__")) == []

    load(fixture, schema="__template__", allow_template=True)
    assert '"name": "new50"' in dump("__template__")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ghost", "Unknown schema 'ghost'"),
        ("Bad-Name", "not a valid schema name"),
        ("public", "reserved"),
    ],
)
def test_unknown_or_invalid_schema_is_a_command_error(tmp_path, name, message):
    fixture = write(tmp_path / "t.json", [good_tag()])
    with pytest.raises(CommandError, match=message):
        load(fixture, schema=name)
    with pytest.raises(CommandError, match=message):
        dump(name)


# -- dumpdata refusals and Django's options -----------------------------------------------


def test_dumping_private_models_without_schema_names_them():
    with pytest.raises(
        CommandError, match=r"tenantapp.Note, tenantapp.Project, tenantapp.Tag.*--schema"
    ):
        dump(None, "tenantapp")


def test_dump_without_labels_or_schema_is_shared_only_and_says_so(tenant_schema):
    populate(tenant_schema)
    UserFactory(username="shared-user")
    out, err = io.StringIO(), io.StringIO()
    call_command("dumpdata", stdout=out, stderr=err)

    models = {item["model"] for item in json.loads(out.getvalue())}
    assert "auth.user" in models
    assert not any(m.startswith("tenantapp.") for m in models)
    assert "shared models only" in err.getvalue() and "tenantapp.Note" in err.getvalue()


def test_dumping_shared_models_with_schema_is_refused(tenant_schema):
    with pytest.raises(CommandError, match=r"auth.User.*without --schema"):
        dump(tenant_schema, "tenantapp", "auth.user")


def test_dump_of_a_schema_without_labels_holds_its_private_data_only(tenant_schema):
    populate(tenant_schema)
    UserFactory()
    models = {item["model"] for item in json.loads(dump(tenant_schema, "tenantapp"))}
    everything = io.StringIO()
    call_command("dumpdata", schema=tenant_schema.name, stdout=everything)
    assert {item["model"] for item in json.loads(everything.getvalue())} == models


def test_pks_and_exclude_work_inside_a_schema(tenant_schema):
    populate(tenant_schema)
    with schema_context(tenant_schema.name):
        red = Tag.objects.get(name="a-red").pk
    assert [
        o["pk"] for o in json.loads(dump(tenant_schema, "tenantapp.tag", primary_keys=str(red)))
    ] == [red]
    assert {o["model"] for o in json.loads(dump(tenant_schema, exclude=["tenantapp.note"]))} == {
        "tenantapp.project",
        "tenantapp.tag",
    }


def test_all_schemas_needs_a_directory():
    with pytest.raises(CommandError, match="needs a directory"):
        call_command("dumpdata", all_schemas=True, stdout=io.StringIO())
    with pytest.raises(CommandError, match="go with --all-schemas"):
        call_command("dumpdata", output_dir="x", stdout=io.StringIO())


def test_all_schemas_refuses_the_template_file_and_rows_without_a_schema(tmp_path):
    write(tmp_path / "__template__.json", [good_tag()])
    with pytest.raises(CommandError, match="--allow-template"):
        load(tmp_path, all_schemas=True)

    Schema.objects.bulk_create([Schema(name="orphan")])  # a row whose schema is gone
    with pytest.raises(CommandError, match="Unknown schema.*orphan"):
        call_command("dumpdata", all_schemas=True, output_dir=str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.django_db(transaction=True)
def test_a_dump_outside_a_transaction_reads_one_read_only_snapshot():
    with read_snapshot("default"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('transaction_isolation'), "
            "current_setting('transaction_read_only')"
        )
        assert cursor.fetchone() == ("repeatable read", "on")
    assert connection.get_autocommit()
