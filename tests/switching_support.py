"""Shared helpers of the request-layer tests (middleware, switching, isolation property).

Every schema made here holds one project named ``row-of-<schema>``, so a response listing
projects says which schema its rows came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.test import Client

from schemaswitch_admin import schema_context
from schemaswitch_admin.middleware import SESSION_KEY
from schemaswitch_admin.models import Membership
from schemaswitch_admin.testing.factories import SchemaFactory, UserFactory
from tests.tenantapp.models import Project

MIDDLEWARE_PATH = "schemaswitch_admin.middleware.SchemaSwitchMiddleware"
ROW_RE = re.compile(r"row-of-([a-z0-9_]+)")

LIST_URL = "/tenant/projects/"
STATE_URL = "/tenant/state/"
SWITCH_URL = "/schemas/switch/"
CHOOSE_URL = "/schemas/choose/"


def make_schema(name: str, **fields):
    schema = SchemaFactory(name=name, **fields)
    with schema_context(name):
        Project.objects.create(name=f"row-of-{name}")
    return schema


def drop_schema(schema) -> None:
    """``schema.drop()`` inside the test's transaction. Rows inserted earlier in the same
    transaction leave deferred foreign-key checks pending, and PostgreSQL refuses to drop a
    table with pending trigger events; running the checks now clears them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema.drop()


#: The schemas most request-layer tests share; delta is inactive.
POOL_SPECS = {"alpha": {}, "beta": {}, "gamma": {}, "delta": {"is_active": False}}


def schema_pool_fixture() -> Callable[..., Iterator[dict]]:
    """A module-scoped fixture creating ``POOL_SPECS`` once (cloning a schema is the slow
    part of these tests) and dropping them after the module. Tests still run in their own
    transaction, so what they change in these schemas is rolled back; they get fresh model
    instances from the ``schemas`` fixture."""

    @pytest.fixture(scope="module")
    def schema_pool(django_db_setup, django_db_blocker) -> Iterator[dict]:
        with django_db_blocker.unblock():
            created = {name: make_schema(name, **fields) for name, fields in POOL_SPECS.items()}
        try:
            yield created
        finally:
            with django_db_blocker.unblock():
                for schema in created.values():
                    schema.drop()

    return schema_pool


def schemas_fixture() -> Callable[..., dict]:
    @pytest.fixture
    def schemas(db, schema_pool) -> dict:
        from schemaswitch_admin.models import Schema

        return {s.name: s for s in Schema.objects.filter(name__in=list(schema_pool))}

    return schemas


def make_member(*schemas, **user_fields):
    user = UserFactory(**user_fields)
    for schema in schemas:
        Membership.objects.create(user=user, schema=schema)
    return user


def logged_in(user, **client_kwargs) -> Client:
    client = Client(**client_kwargs)
    client.force_login(user)
    return client


def rows_of(response) -> set[str]:
    """The schemas whose rows a listing response shows."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return set(ROW_RE.findall(body.decode()))


def active_in(response) -> str:
    body = response.content.decode()
    first = body.splitlines()[0]
    assert first.startswith("active="), body[:200]
    return first.removeprefix("active=")


def state_of(client: Client, **extra) -> dict:
    response = client.get(STATE_URL, **extra)
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def session_choice(client: Client):
    return client.session.get(SESSION_KEY, "<unset>")


def middleware_without_schemaswitch() -> list[str]:
    return [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]

