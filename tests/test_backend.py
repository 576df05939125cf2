"""The backend keeps search_path equal to the active schema, and never trusts a stale path."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.core.signals import request_started
from django.db import close_old_connections, connection, connections, transaction
from django.db.utils import ConnectionHandler, ProgrammingError
from django.test.utils import CaptureQueriesContext

from schemaswitch_admin import schema_context
from schemaswitch_admin.exceptions import SchemaNotActivatedError
from tests.path_support import effective_path, path_sets, set_statement
from tests.tenantapp.models import Project


def set_statements(ctx):
    return path_sets(ctx)


def add_project(schema, name):
    with schema_context(schema.name):
        return Project.objects.create(name=name)


def names(schema=None):
    if schema is None:
        return sorted(Project.objects.values_list("name", flat=True))
    with schema_context(schema.name):
        return sorted(Project.objects.values_list("name", flat=True))


def current_path(conn=connection):
    return effective_path(conn)


def test_two_schemas_hold_different_rows_in_the_same_table(schema_factory):
    a, b = schema_factory(), schema_factory()
    add_project(a, "only in a")
    add_project(b, "only in b")
    assert names(a) == ["only in a"]
    assert names(b) == ["only in b"]


def test_search_path_is_active_schema_then_public(schema_factory):
    a = schema_factory()
    with schema_context(a.name):
        assert current_path() == f"{a.name}, public"
    assert current_path() == "public"


def test_no_redundant_set_when_the_path_is_already_right(schema_factory):
    a, b = schema_factory(), schema_factory()
    with CaptureQueriesContext(connection) as ctx:
        with schema_context(a.name):
            names()
            names()
            names()
        assert len(set_statements(ctx)) == 1
        with schema_context(b.name):
            names()
            names()
        assert len(set_statements(ctx)) == 2
        with schema_context(a.name):
            names()
        assert len(set_statements(ctx)) == 3
    # Each SET names exactly the schema it switched to, quoted.
    assert set_statements(ctx) == [
        set_statement(a.name),
        set_statement(b.name),
        set_statement(a.name),
    ]


def test_private_table_without_active_schema_raises_a_clear_error(db):
    with pytest.raises(SchemaNotActivatedError, match="No schema is active"):
        list(Project.objects.all())


def test_a_rolled_back_set_is_not_trusted(schema_factory):
    a, b = schema_factory(), schema_factory()
    add_project(a, "a row")
    add_project(b, "b row")
    with schema_context(a.name):
        names()  # connection now holds a's path
        with schema_context(b.name):
            with pytest.raises(RuntimeError):
                with transaction.atomic():
                    assert names() == ["b row"]  # SET to b happens inside this savepoint
                    raise RuntimeError
            # The savepoint rollback undid the SET: PostgreSQL is back on a's path.
            assert names() == ["b row"]
        assert names() == ["a row"]


def test_a_savepoint_rollback_inside_a_transaction_is_not_trusted(schema_factory):
    a, b = schema_factory(), schema_factory()
    add_project(a, "a row")
    add_project(b, "b row")
    with transaction.atomic():
        with schema_context(a.name):
            assert names() == ["a row"]
            sid = getattr(transaction, "savepoint_create", None) or transaction.savepoint
            sid = sid()
            with schema_context(b.name):
                assert names() == ["b row"]
                transaction.savepoint_rollback(sid)
                assert names() == ["b row"]
            assert names() == ["a row"]


@pytest.mark.django_db(transaction=True)
def test_a_full_rollback_is_not_trusted(schema_factory):
    a, b = schema_factory(), schema_factory()
    add_project(a, "a row")
    add_project(b, "b row")
    with schema_context(a.name):
        assert names() == ["a row"]  # autocommit: a's path is committed on the session
        with schema_context(b.name):
            with pytest.raises(RuntimeError):
                with transaction.atomic():
                    assert names() == ["b row"]
                    raise RuntimeError
            assert names() == ["b row"]
            assert current_path() == f"{b.name}, public"
        assert names() == ["a row"]


def test_a_failed_query_does_not_leave_a_wrong_path(schema_factory):
    a, b = schema_factory(), schema_factory()
    add_project(a, "a row")
    add_project(b, "b row")
    with schema_context(b.name):
        with pytest.raises(ProgrammingError):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT no_such_column FROM tenantapp_project")
        assert names() == ["b row"]


def test_user_set_search_path_does_not_survive_into_the_next_request(schema_factory):
    a, b = schema_factory(), schema_factory()
    add_project(a, "a row")
    add_project(b, "b row")
    with schema_context(a.name):
        names()
        with connection.cursor() as cursor:
            # Misbehaving user code points the session at another tenant.
            cursor.execute(f'SET search_path TO "{b.name}", public')
        # What the handler does at the start of every request (the test client does the same
        # disconnection, so the connection is not closed inside the test's transaction).
        request_started.disconnect(close_old_connections)
        try:
            request_started.send(sender=None)
        finally:
            request_started.connect(close_old_connections)
        assert names() == ["a row"]


@pytest.mark.django_db(transaction=True)
def test_closed_connection_gets_the_path_again(schema_factory):
    a = schema_factory()
    add_project(a, "a row")
    with schema_context(a.name):
        names()
    connection.close()
    with schema_context(a.name):
        assert names() == ["a row"]
    assert current_path() == "public"


@pytest.mark.django_db(transaction=True)
def test_pooled_connection_checkout_never_reuses_another_users_path(schema_factory):
    a, b = schema_factory(), schema_factory()
    add_project(a, "a row")
    add_project(b, "b row")
    settings = dict(connection.settings_dict)
    settings["NAME"] = connection.settings_dict["NAME"]
    settings["CONN_MAX_AGE"] = 0
    settings["OPTIONS"] = {**settings.get("OPTIONS", {}), "pool": {"min_size": 1, "max_size": 1}}
    handler = ConnectionHandler({"default": dict(connection.settings_dict), "pooled": settings})
    first = handler["pooled"]
    results = {}

    def other_thread():
        # Another thread's wrapper gets the same physical connection from the pool.
        conn = handler["pooled"]
        with schema_context(b.name), conn.cursor() as cursor:
            cursor.execute("SELECT name FROM tenantapp_project")
            results["other"] = cursor.fetchall()
        conn.close()

    try:
        with schema_context(a.name), first.cursor() as cursor:
            cursor.execute("SELECT name FROM tenantapp_project")
            results["first"] = cursor.fetchall()
        first.close()  # back to the pool with a's path on it
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        with schema_context(a.name), first.cursor() as cursor:
            cursor.execute("SELECT name FROM tenantapp_project")
            results["again"] = cursor.fetchall()
        results["none"] = effective_path(first)
    finally:
        first.close()
        first.close_pool()
    assert results == {
        "first": [("a row",)],
        "other": [("b row",)],
        "again": [("a row",)],
        "none": "public",
    }


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_each_read_only_their_own_schema(schema_factory):
    schemas = [schema_factory() for _ in range(50)]
    for s in schemas:
        add_project(s, f"row of {s.name}")
    barrier = threading.Barrier(len(schemas))
    seen, errors = {}, []

    def worker(schema):
        try:
            barrier.wait()
            rows = []
            for _ in range(5):
                with schema_context(schema.name):
                    rows.extend(Project.objects.values_list("name", flat=True))
            seen[schema.name] = set(rows)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(s,)) for s in schemas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert seen == {s.name: {f"row of {s.name}"} for s in schemas}


@pytest.mark.django_db(transaction=True)
def test_fifty_asyncio_tasks_each_read_only_their_own_schema(schema_factory):
    schemas = [schema_factory() for _ in range(50)]
    for s in schemas:
        add_project(s, f"row of {s.name}")

    async def task(schema):
        rows = []
        with schema_context(schema.name):
            for _ in range(3):
                rows.extend([p.name async for p in Project.objects.all()])
                await asyncio.sleep(0)
                listed = sync_to_async(lambda: list(Project.objects.values_list("name", flat=True)))
                rows.extend(await listed())
        return schema.name, set(rows)

    async def main():
        try:
            return dict(await asyncio.gather(*(task(s) for s in schemas)))
        finally:
            await sync_to_async(connections.close_all)()

    try:
        seen = asyncio.run(main())
    finally:
        connections.close_all()
    assert seen == {s.name: {f"row of {s.name}"} for s in schemas}
