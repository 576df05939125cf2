"""``list_schemas`` over many schemas: statements per batch, never per schema, output written
as the batches are read, and its filters (``--active``, ``--inactive``, ``--name``).

Most schemas here are rows without a PostgreSQL schema (``bulk_create``): the command reads
them like any other and reports "PostgreSQL schema missing"; the real ones come from
``schema_factory``.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schemaswitch_admin.management.commands.list_schemas import (
    glob_regex,
    schema_inventory,
    selected_schemas,
)
from schemaswitch_admin.migrating import BATCH_SIZE
from schemaswitch_admin.models import Schema
from schemaswitch_admin.testing.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def add_rows(count: int, prefix: str = "row", start: int = 0, **fields) -> list[Schema]:
    return Schema.objects.bulk_create(
        [Schema(name=f"{prefix}_{i:05d}", **fields) for i in range(start, start + count)]
    )


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("list_schemas", *args, stdout=out)
    return out.getvalue()


def names_in(out: str) -> list[str]:
    return [item["name"] for item in json.loads(out)]


def test_list_schemas_costs_the_same_statements_with_3_or_60_schemas(schema_factory):
    real = schema_factory()
    add_rows(2)
    with CaptureQueriesContext(connection) as few:
        assert len(json.loads(run("--format", "json"))) == 3
    add_rows(57, start=2)
    with CaptureQueriesContext(connection) as many:
        listed = json.loads(run("--format", "json"))

    assert len(listed) == 60
    assert len(many) == len(few)
    assert {i["name"]: i["exists"] for i in listed}[real.name] is True


def test_list_schemas_reads_batches_in_name_order_each_schema_once(schema_factory):
    real = schema_factory(name="row_00004x")
    MembershipFactory(schema=real)
    add_rows(20)
    everything = selected_schemas("default")

    with CaptureQueriesContext(connection) as queries:
        infos = list(schema_inventory("default", everything, batch_size=7))

    assert [i.name for i in infos] == sorted(Schema.objects.values_list("name", flat=True))
    assert {i.name: i.members for i in infos}[real.name] == 1
    # 21 schemas, 7 at a time: 3 batches of at most 4 statements (rows, sizes, histories).
    assert len(queries) <= 3 * 4 + 1


def test_list_schemas_writes_lines_before_reading_the_last_batch():
    add_rows(BATCH_SIZE + 5)
    written_after: list[int] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            written_after.append(len(queries))
            return super().write(text)

    out = Recorder()
    with CaptureQueriesContext(connection) as queries:
        call_command("list_schemas", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1 + BATCH_SIZE + 5
    first_schema_line = written_after[1]
    assert first_schema_line < len(queries)  # more statements came after it


def test_list_schemas_json_is_the_same_text_as_one_dump():
    add_rows(3, display_name="Ünïcode “quoted”")

    out = run("--format", "json")

    assert out == json.dumps(json.loads(out), indent=2) + "\n"
    assert run("--format", "json", "--name", "nothing*") == "[]\n"


def test_list_schemas_table_columns_line_up_across_batches():
    add_rows(BATCH_SIZE + 2, display_name="short")
    Schema.objects.filter(name=f"row_{BATCH_SIZE + 1:05d}").update(
        display_name="a much longer display name in the last batch"
    )

    lines = run().splitlines()

    starts = {line.index(" no ") if " no " in line else line.index(" yes ") for line in lines[1:]}
    assert len(starts) == 1
    assert lines[0].index("ACTIVE") == starts.pop() + 1


def test_list_schemas_active_and_inactive_filters():
    add_rows(3)
    add_rows(2, prefix="off", is_active=False)

    assert names_in(run("--format", "json", "--active")) == ["row_00000", "row_00001", "row_00002"]
    assert names_in(run("--format", "json", "--inactive")) == ["off_00000", "off_00001"]
    with pytest.raises(CommandError):
        run("--active", "--inactive")


def test_list_schemas_name_patterns():
    add_rows(3)
    add_rows(2, prefix="acme")

    assert names_in(run("--format", "json", "--name", "acme_*")) == ["acme_00000", "acme_00001"]
    assert names_in(run("--format", "json", "--name", "row_0000?", "--name", "acme_00001")) == [
        "acme_00001",
        "row_00000",
        "row_00001",
        "row_00002",
    ]
    assert "No schemas." in run("--name", "acme")  # a pattern matches the whole name


@pytest.mark.parametrize("pattern", ["row.0000.", "(", "[a-z]*", "row_0000\\", "^row", "x|row.*"])
def test_list_schemas_name_pattern_characters_stand_for_themselves(pattern):
    add_rows(2)

    assert "No schemas." in run("--name", pattern)


def test_glob_regex_escapes_everything_but_the_wildcards():
    assert glob_regex("a_b*c?") == "^a_b.*c.$"
    assert glob_regex("a.(b)") == "^a\\.\\(b\\)$"
