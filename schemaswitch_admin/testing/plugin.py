"""pytest fixtures for code that runs inside schemas.

Loaded automatically (entry point ``pytest11``) when pytest-django is in use. The fixtures
need the ``db`` fixture (or ``transactional_db``); they request it themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


def _drop_schemas(names: list[str]) -> None:
    from django.db import connection
    from psycopg import sql

    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
            )


@pytest.fixture
def schema_factory(request: pytest.FixtureRequest, db: None) -> Iterator[Callable[..., Any]]:
    """Create schemas (cloned from the template) with ``schema_factory(name=..., ...)``.

    In ``transactional_db`` tests (and with ``live_server``) the PostgreSQL schemas outlive
    the test's data flush, so they are dropped at teardown; in ``db`` tests the transaction
    rollback removes them.
    """
    from .factories import SchemaFactory

    created: list[str] = []

    def make(**kwargs: Any) -> Any:
        schema = SchemaFactory.create(**kwargs)
        created.append(schema.name)
        return schema

    yield make
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames)
    if transactional and created:
        _drop_schemas(created)


@pytest.fixture
def tenant_schema(schema_factory: Callable[..., Any]) -> Any:
    """One fresh schema."""
    return schema_factory()


@pytest.fixture
def member_user(tenant_schema: Any) -> Any:
    """A user (password ``password``) who is a member of ``tenant_schema``."""
    from .factories import MembershipFactory

    return MembershipFactory.create(schema=tenant_schema).user


@pytest.fixture
def in_schema() -> Iterator[Callable[[Any], Any]]:
    """``with in_schema(schema_or_name):`` runs a block inside that schema."""
    from ..state import schema_context

    def enter(schema: Any) -> Any:
        return schema_context(getattr(schema, "name", schema))

    yield enter


@pytest.fixture
def in_tenant_schema(tenant_schema: Any) -> Iterator[Any]:
    """Runs the whole test inside ``tenant_schema``."""
    from ..state import schema_context

    with schema_context(tenant_schema.name):
        yield tenant_schema
