"""Pins the Django internals the backend relies on, on each supported Django line.

The backend enforces the path in ``CursorWrapper._execute``/``_executemany`` (private hooks
Django calls below its execute wrappers) and builds its cursor classes from what the stacked
backend's ``make_cursor``/``make_debug_cursor`` return. If a Django upgrade changes either,
these tests say so before isolation silently does.
"""

from __future__ import annotations

import inspect

import pytest
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.test.utils import CaptureQueriesContext

from schemaswitch_admin import schema_context
from schemaswitch_admin.backends.postgresql.cursors import PathCursorMixin
from tests.path_support import is_path_set


def test_djangos_private_execute_hooks_keep_their_signatures():
    assert list(inspect.signature(CursorWrapper._execute).parameters) == [
        "self",
        "sql",
        "params",
        "ignored_wrapper_args",
    ]
    assert list(inspect.signature(CursorWrapper._executemany).parameters) == [
        "self",
        "sql",
        "param_list",
        "ignored_wrapper_args",
    ]


@pytest.mark.django_db
def test_execute_reaches_the_private_hook_after_the_execute_wrappers():
    order = []

    class Probe(CursorWrapper):
        def _execute(self, sql, params, *args):
            order.append("hook")
            return super()._execute(sql, params, *args)

    def wrapper(execute, sql, params, many, context):
        order.append("wrapper")
        return execute(sql, params, many, context)

    connection.ensure_connection()
    probe = Probe(connection.connection.cursor(), connection)
    with connection.execute_wrapper(wrapper):
        probe.execute("SELECT 1")
    probe.close()
    assert order == ["wrapper", "hook"]


@pytest.mark.django_db
def test_our_cursors_extend_what_the_stacked_backend_makes():
    with connection.cursor() as cursor:
        assert isinstance(cursor, PathCursorMixin) and isinstance(cursor, CursorWrapper)
    connection.force_debug_cursor = True
    try:
        with connection.cursor() as cursor:
            assert isinstance(cursor, PathCursorMixin)
            assert isinstance(cursor, CursorDebugWrapper)
    finally:
        connection.force_debug_cursor = False


@pytest.mark.django_db
def test_executemany_and_copy_run_in_the_active_schema(schema_factory):
    a = schema_factory()
    with schema_context(a.name), CaptureQueriesContext(connection) as ctx:
        with connection.cursor() as cursor:
            connection.schema_path.forget()
            cursor.executemany("INSERT INTO tenantapp_tag (name) VALUES (%s)", [["x"], ["y"]])
            connection.schema_path.forget()
            with cursor.copy("COPY tenantapp_tag (name) TO STDOUT") as copy:
                rows = [bytes(r) for r in copy]
    assert sum(is_path_set(q["sql"]) for q in ctx.captured_queries) >= 1
    assert sorted(rows) == [b"x\n", b"y\n"]
