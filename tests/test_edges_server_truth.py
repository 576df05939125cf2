"""The path the server really has wins over what the backend remembers: RESET ALL, DISCARD
ALL, hand-made SETs, worker threads reused across requests, and the ``"$user"`` trap."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.signals import request_started
from django.db import DatabaseError, close_old_connections, connection, connections
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.cloning import RoleNamedSchema
from schemaswitch_admin.models import Schema
from tests.path_support import drop_leftover_schemas, server_reports_path
from tests.tenantapp.models import Project


def role_name() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


@pytest.fixture
def role_named_tenant(schema_factory):
    """A tenant whose schema is named like the database role (made by hand: the package
    refuses such names), holding a row that says so, next to an ordinary tenant."""
    role = role_name()
    acme = schema_factory()
    with schema_context(acme.name):
        Project.objects.create(name="row of acme")
    ident = sql.Identifier(role)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
        cursor.execute(
            sql.SQL("CREATE TABLE {}.tenantapp_project (LIKE public.auth_group)").format(ident)
        )
        cursor.execute(
            sql.SQL("INSERT INTO {}.tenantapp_project (id, name) VALUES (1, 'row of role')")
            .format(ident)
        )
    return acme


def read_names() -> list[str] | str:
    try:
        return list(Project.objects.values_list("name", flat=True))
    except DatabaseError:
        return "error"


@pytest.mark.parametrize("command", ["RESET ALL", "DISCARD ALL", "RESET search_path"])
def test_resetting_the_session_never_reads_the_tenant_named_like_the_role(
    role_named_tenant, command
):
    acme = role_named_tenant
    if command == "DISCARD ALL":
        pytest.skip("DISCARD ALL cannot run inside the test's transaction block")
    with schema_context(acme.name):
        assert read_names() == ["row of acme"]
        with connection.cursor() as cursor:
            cursor.execute(command)
        after = read_names()
    # Never the role-named tenant's rows. Where the server reports its path, the backend
    # notices and puts acme's back; elsewhere the pinned default (public) makes it an error.
    assert after != ["row of role"]
    if server_reports_path():
        assert after == ["row of acme"]


@pytest.mark.django_db(transaction=True)
def test_discard_all_outside_a_transaction_never_reads_the_role_named_tenant(
    role_named_tenant,
):
    acme = role_named_tenant
    try:
        with schema_context(acme.name):
            assert read_names() == ["row of acme"]
            with connection.cursor() as cursor:
                cursor.execute("DISCARD ALL")
            after = read_names()
        assert after != ["row of role"]
        if server_reports_path():
            assert after == ["row of acme"]
    finally:
        drop_leftover_schemas(role_name())


def test_a_new_connection_defaults_to_public_not_to_user(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        (default,) = cursor.fetchone()
        cursor.execute("RESET search_path")
        cursor.execute("SHOW search_path")
        (after_reset,) = cursor.fetchone()
    assert "$user" not in after_reset
    assert after_reset == "public"
    assert default in ('"public"', "public")


def test_creating_a_schema_named_like_a_role_is_refused(db):
    with pytest.raises(RoleNamedSchema, match="role"):
        Schema.objects.create_schema(role_name())
    assert not Schema.objects.filter(name=role_name()).exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_thread_reused_by_the_next_request_is_not_left_in_a_foreign_path(
    schema_factory,
):
    acme, globex = schema_factory(), schema_factory()
    for schema in (acme, globex):
        with schema_context(schema.name):
            Project.objects.create(name=f"row of {schema.name}")
    executor = ThreadPoolExecutor(max_workers=1)  # a module-level executor in a real app
    thread_ids = set()

    def first_job():
        thread_ids.add(threading.get_ident())
        with schema_context(acme.name):
            list(Project.objects.all())
            with connection.cursor() as cursor:
                # User code in an earlier request points the session at another tenant.
                cursor.execute(
                    sql.SQL("SET search_path TO {}, public").format(sql.Identifier(globex.name))
                )

    def second_job():
        thread_ids.add(threading.get_ident())
        with schema_context(acme.name):
            return list(Project.objects.values_list("name", flat=True))

    try:
        executor.submit(first_job).result()
        # The next request starts (the handler sends request_started in its own thread).
        request_started.disconnect(close_old_connections)
        try:
            request_started.send(sender=None)
        finally:
            request_started.connect(close_old_connections)
        seen = executor.submit(second_job).result()
    finally:
        executor.submit(connections.close_all).result()
        executor.shutdown()
    assert len(thread_ids) == 1
    assert seen == [f"row of {acme.name}"]


def test_a_hand_made_set_inside_a_unit_of_work_is_seen_where_the_server_reports_it(
    schema_factory,
):
    if not server_reports_path():
        pytest.skip("PostgreSQL < 18 does not report search_path (documented limit)")
    acme, globex = schema_factory(), schema_factory()
    for schema in (acme, globex):
        with schema_context(schema.name):
            Project.objects.create(name=f"row of {schema.name}")
    with schema_context(acme.name):
        list(Project.objects.all())
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("SET search_path TO {}, public").format(sql.Identifier(globex.name))
            )
        assert list(Project.objects.values_list("name", flat=True)) == [f"row of {acme.name}"]
