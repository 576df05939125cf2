"""Work created in a schema runs in that schema: streamed bodies, decorated generators,
on_commit callbacks, cursors kept across schema changes, chunked iteration."""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection, connections, transaction

from schemaswitch_admin import get_active_schema, schema_context
from schemaswitch_admin.exceptions import SchemaChangedError
from schemaswitch_admin.middleware import _keep_schema_for_body
from tests.tenantapp.models import Note, Project


@pytest.fixture
def two(schema_factory):
    from tests.path_support import drop_leftover_schemas

    drop_leftover_schemas("acme", "globex")
    acme, globex = schema_factory(name="acme"), schema_factory(name="globex")
    for schema in (acme, globex):
        with schema_context(schema.name):
            project = Project.objects.create(name=f"project of {schema.name}")
            for i in range(3):
                Note.objects.create(project=project, title=f"note {i} of {schema.name}")
    return acme, globex


def names():
    return list(Project.objects.values_list("name", flat=True))


# -- streamed bodies -------------------------------------------------------------------


def _streaming(content):
    from django.http import StreamingHttpResponse

    return StreamingHttpResponse(content)


def test_a_streamed_bodys_own_schema_context_wins_over_the_requests(two):
    def body():
        yield "request:" + ",".join(names()) + "\n"
        with schema_context("globex"):
            yield "export-1:" + ",".join(names()) + "\n"
            # Between two chunks the server runs its own code; the body resumes in globex.
            yield "export-2:" + ",".join(names()) + "\n"
        yield "back:" + ",".join(names()) + "\n"

    with schema_context("acme"):
        response = _keep_schema_for_body(_streaming(body()), "acme")
    chunks = [c.decode() for c in response.streaming_content]

    assert chunks == [
        "request:project of acme\n",
        "export-1:project of globex\n",
        "export-2:project of globex\n",
        "back:project of acme\n",
    ]
    assert get_active_schema() is None


def test_the_consumer_of_a_streamed_body_is_not_in_the_requests_schema(two):
    def body():
        yield "a"
        yield "b"

    with schema_context("acme"):
        response = _keep_schema_for_body(_streaming(body()), "acme")
    seen = []
    for _chunk in response.streaming_content:
        seen.append(get_active_schema())
    assert seen == [None, None]


@pytest.mark.django_db(transaction=True)
def test_an_async_streamed_bodys_own_schema_context_wins(two):
    from asgiref.sync import sync_to_async

    async def body():
        yield "request:" + ",".join(await sync_to_async(names)()) + "\n"
        with schema_context("globex"):
            yield "export-1:" + ",".join(await sync_to_async(names)()) + "\n"
            yield "export-2:" + ",".join(await sync_to_async(names)()) + "\n"
        yield "back:" + ",".join(await sync_to_async(names)()) + "\n"

    async def consume():
        with schema_context("acme"):
            response = _keep_schema_for_body(_streaming(body()), "acme")
        out = []
        async for chunk in response.streaming_content:
            out.append((chunk.decode(), get_active_schema()))
        return out

    async def main():
        try:
            return await consume()
        finally:
            await sync_to_async(connections.close_all)()

    chunks = asyncio.run(main())
    assert chunks == [
        ("request:project of acme\n", None),
        ("export-1:project of globex\n", None),
        ("export-2:project of globex\n", None),
        ("back:project of acme\n", None),
    ]


# -- decorated generators ---------------------------------------------------------------


def test_schema_context_decorates_a_generator_function_body(two):
    @schema_context("acme")
    def rows():
        yield get_active_schema()
        yield from names()
        with schema_context("globex"):
            yield from names()
        yield get_active_schema()

    assert get_active_schema() is None
    with schema_context("globex"):
        produced = []
        for value in rows():
            produced.append(value)
            assert get_active_schema() == "globex"  # the consumer keeps its own schema
    assert produced == ["acme", "project of acme", "project of globex", "acme"]


def test_a_decorated_generator_supports_send_throw_and_close(two):
    @schema_context("acme")
    def echo():
        received = []
        try:
            while True:
                try:
                    value = yield (get_active_schema(), len(received))
                except KeyError:
                    value = "thrown"
                received.append(value)
        finally:
            received.append(("closed in", get_active_schema()))
            finished.extend(received)

    finished: list = []
    gen = echo()
    assert next(gen) == ("acme", 0)
    assert gen.send("x") == ("acme", 1)
    assert gen.throw(KeyError("k")) == ("acme", 2)
    gen.close()
    assert finished == ["x", "thrown", ("closed in", "acme")]
    assert get_active_schema() is None


@pytest.mark.django_db(transaction=True)
def test_schema_context_decorates_an_async_generator_function_body(two):
    from asgiref.sync import sync_to_async

    @schema_context("acme")
    async def rows():
        yield get_active_schema()
        for name in await sync_to_async(names)():
            yield name

    async def consume():
        out = []
        async for value in rows():
            out.append((value, get_active_schema()))
        return out

    async def main():
        try:
            return await consume()
        finally:
            await sync_to_async(connections.close_all)()

    produced = asyncio.run(main())
    assert produced == [("acme", None), ("project of acme", None)]


# -- on_commit --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_on_commit_callbacks_run_in_the_schema_they_were_registered_in(two):
    ran = []

    with transaction.atomic():
        with schema_context("acme"):
            transaction.on_commit(lambda: ran.append((get_active_schema(), names())))
        with schema_context("globex"):
            transaction.on_commit(lambda: ran.append((get_active_schema(), names())))
        transaction.on_commit(lambda: ran.append((get_active_schema(), None)))
        # The commit happens while globex is active.
        with schema_context("globex"):
            pass
    assert ran == [
        ("acme", ["project of acme"]),
        ("globex", ["project of globex"]),
        (None, None),
    ]


# -- statements and reads ---------------------------------------------------------------


def test_a_cursor_opened_in_one_schema_runs_in_the_schema_active_for_each_statement(two):
    with schema_context("acme"):
        cursor = connection.cursor()
        with schema_context("globex"):
            assert names() == ["project of globex"]
        cursor.execute("SELECT name FROM tenantapp_project")
        assert cursor.fetchall() == [("project of acme",)]
        cursor.close()


def test_an_execute_wrapper_doing_orm_work_elsewhere_does_not_move_the_statement(two):
    seen: list = []
    busy = []

    def audit(execute, sql, params, many, context):
        if "tenantapp_project" in sql and not busy:
            busy.append(True)
            with schema_context("globex"):
                seen.append(names())
        return execute(sql, params, many, context)

    with schema_context("acme"), connection.execute_wrapper(audit):
        assert names() == ["project of acme"]
    assert seen == [["project of globex"]]


def test_iterating_in_chunks_across_a_schema_change_is_refused_not_mixed(two):
    with schema_context("acme"):
        iterator = Note.objects.select_related(None).prefetch_related("project").iterator(
            chunk_size=1
        )
        first = next(iterator)
        assert first.project.name == "project of acme"
    with schema_context("globex"), pytest.raises(SchemaChangedError, match="acme"):
        list(iterator)


def test_reading_rows_after_leaving_the_schema_is_allowed(two):
    with schema_context("acme"):
        cursor = connection.cursor()
        cursor.execute("SELECT name FROM tenantapp_project")
    assert cursor.fetchall() == [("project of acme",)]
    cursor.close()
