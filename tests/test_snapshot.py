"""``snapshot save|load``: one tenant's data through COPY, equal to what dumpdata sees."""

import io
import json
import tarfile

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Schema
from schemaswitch_admin.testing.factories import UserFactory
from tests.tenantapp.models import Note, Project, Tag

pytestmark = pytest.mark.django_db


def populate(schema, owner):
    with schema_context(schema.name):
        alpha = Project.objects.create(name="alpha", owner=owner)
        beta = Project.objects.create(name="beta\twith a tab\nand a newline, \\ and ünïcode")
        red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")
        first = Note.objects.create(project=alpha, title="first", body="", priority=3)
        first.tags.set([red, blue])
        Note.objects.create(project=beta, title="second", body="x" * 5000, priority=10)
        Tag.objects.filter(name="red").delete()  # a gap in the ids


def dump(name):
    out = io.StringIO()
    call_command("dumpdata", "tenantapp", schema=name, indent=1, stdout=out)
    return out.getvalue()


def snapshot(*args):
    out = io.StringIO()
    call_command("snapshot", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def saved(tenant_schema, tmp_path):
    populate(tenant_schema, UserFactory())
    path = tmp_path / "acme.tar.gz"
    snapshot("save", tenant_schema.name, path)
    return tenant_schema, path


def test_round_trip_into_a_new_schema_equals_dumpdata_of_the_source(saved):
    source, path = saved

    out = snapshot("load", path, "snap_copy", "--create")

    assert dump("snap_copy") == dump(source.name)
    assert '"alpha"' in dump("snap_copy")
    assert Schema.objects.filter(name="snap_copy").exists()
    # 2 projects, 1 tag, 2 notes, 1 note-tag link, 2 rows of the trigger-written note log
    assert "Loaded 8 row(s)" in out


def test_sequences_continue_after_the_loaded_rows(saved):
    source, path = saved
    snapshot("load", path, "snap_seq", "--create")

    with schema_context(source.name):
        expected = Tag.objects.create(name="next").pk
    with schema_context("snap_seq"):
        assert Tag.objects.create(name="next").pk == expected
        assert Note.objects.create(project=Project.objects.first(), title="n").pk == 3


def test_load_into_an_existing_empty_schema(saved, schema_factory):
    source, path = saved
    target = schema_factory()

    snapshot("load", path, target.name)

    assert dump(target.name) == dump(source.name)


def test_a_schema_that_holds_rows_is_refused_and_left_as_it_was(saved):
    source, path = saved
    before = dump(source.name)

    with pytest.raises(CommandError, match=r"already holds rows .*tenantapp_note"):
        snapshot("load", path, source.name)

    assert dump(source.name) == before


def test_a_schema_at_other_migrations_is_refused(saved, schema_factory):
    _source, path = saved
    target = schema_factory()
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DELETE FROM {}.django_migrations WHERE app = 'migrapp'").format(
                sql.Identifier(target.name)
            )
        )

    with pytest.raises(CommandError, match=r"not at the snapshot's migrations.*migrapp"):
        snapshot("load", path, target.name)

    with schema_context(target.name):
        assert not Note.objects.exists()


def test_a_failing_load_with_create_leaves_no_schema_behind(tenant_schema, tmp_path):
    owner = UserFactory()
    populate(tenant_schema, owner)
    path = tmp_path / "acme.tar"
    snapshot("save", tenant_schema.name, path)
    with schema_context(tenant_schema.name):
        Project.objects.update(owner=None)
    with connection.cursor() as cursor:  # the snapshot's project points at a user now gone
        cursor.execute("DELETE FROM auth_user WHERE id = %s", [owner.pk])

    with pytest.raises(CommandError, match="foreign key"):
        snapshot("load", path, "snap_fail", "--create")

    assert not Schema.objects.filter(name="snap_fail").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'snap_fail'")
        assert cursor.fetchone() is None


def test_a_truncated_file_is_refused_before_anything_is_created(saved, tmp_path):
    _source, path = saved
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    with pytest.raises(CommandError, match="not a readable snapshot"):
        snapshot("load", cut, "snap_cut", "--create")

    assert not Schema.objects.filter(name="snap_cut").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["save", "ghost", "x.tar"], "Unknown schema 'ghost'"),
        (["save", "public", "x.tar"], "reserved"),
        (["save", "SOURCE", "no/such/dir/x.tar"], "is not a directory"),
        (["save", "SOURCE", "x.zip"], r"\*\.tar, \*\.tar\.gz or \*\.tgz"),
        (["load", "FILE", "Bad Name", "--create"], "not a valid schema name"),
        (["load", "FILE", "__template__"], "not a valid schema name"),
    ],
)
def test_bad_names_are_refused(saved, tmp_path, args, message):
    _source, path = saved
    names = {"FILE": str(path), "SOURCE": _source.name}
    args = [names.get(a, a) for a in args]
    with pytest.raises(CommandError, match=message):
        snapshot(*args)


def test_a_snapshot_is_a_tar_with_a_manifest_first_and_text_copy_data(saved):
    source, path = saved

    with tarfile.open(path) as archive:
        names = archive.getnames()
        tags = next(n for n in names if n.endswith("-tenantapp_tag.copy"))
        data = archive.extractfile(tags).read().decode()

    assert names[0] == "manifest.json"
    assert data.splitlines()[0].split("\t")[1] == "blue"
    assert "tenantapp_tag: 1" in snapshot("show", path)


def test_a_tampered_manifest_cannot_reach_a_table_outside_the_schema(saved, tmp_path):
    """Table names come from the file; they are matched against the target's own tables and
    always qualified with the target schema, so a file cannot write into ``public``."""
    _source, path = saved
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(path) as original, tarfile.open(tampered, "w") as out:
        for member in original.getmembers():
            data = original.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                for table in manifest["tables"]:
                    if table["name"] == "tenantapp_tag":
                        table["name"] = "auth_user"
                data = json.dumps(manifest).encode()
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    users = list(User.objects.values_list("pk", "username"))

    with pytest.raises(CommandError, match="other tables than the snapshot: auth_user"):
        snapshot("load", tampered, "snap_tampered", "--create")

    assert list(User.objects.values_list("pk", "username")) == users
    assert not Schema.objects.filter(name="snap_tampered").exists()
