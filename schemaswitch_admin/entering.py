"""Checking a user's right to a schema and entering it, in one SQL statement.

A request in an already chosen schema must re-check that the user may still use it (the
membership may have been revoked, the schema dropped or deactivated since the choice was
made) and must put the schema's ``search_path`` on the connection, which the backend forgets
at every request start. Done naively that is two round trips per request; here a single
``SELECT`` carries both: ``set_config('search_path', ...)`` in its select list, and the schema
row joined to the user's membership. PostgreSQL evaluates the select list only for rows that
pass the ``WHERE``, so the path is set exactly when the schema row exists.

The shared tables are named with their schema (``public``), so the statement reads the same
rows whatever path the connection still holds from an earlier request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from psycopg import sql

from . import conf
from .access import Verdict, is_usable_user, verdict
from .exceptions import InvalidSchemaName
from .roles import remember_role
from .schema_model import get_schema_model
from .validation import validate_schema_name

if TYPE_CHECKING:
    from .models import AbstractSchema


@dataclass(frozen=True)
class Check:
    """The outcome of ``check_and_enter``; ``schema`` is set whenever the row exists."""

    name: str
    verdict: Verdict
    schema: AbstractSchema | None = None
    membership_id: int | None = None
    #: The membership's role, read by the same statement (``None`` without a membership):
    #: per-schema permissions (``roles``) need no statement of their own.
    role: str | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOWED


def schema_db_alias() -> str:
    """The database holding the schema and membership tables (and so the tenants)."""
    return router.db_for_read(get_schema_model()) or "default"


class _Window:
    """What ``path_not_needed`` hands out: the caller reports a path its statement set."""

    def __init__(self, report: Any = None) -> None:
        self._report = report
        self.entered = False

    def path_was_set(self, conn: Any, schema: str | None) -> None:
        """A statement inside the window really put ``schema``'s path on."""
        if self._report is not None:
            self._report.set(schema)
        self.entered = True


@contextmanager
def path_not_needed(using: str) -> Iterator[_Window]:
    """Run queries whose result does not depend on the connection's ``search_path`` (they
    name every table with its schema, or read shared tables such as the session and the
    user) without making the backend send a ``SET`` first. A statement inside that sets the
    path itself reports it with ``window.path_was_set``.

    A thin adapter over the backend's own API (``connection.schema_path.own_path()``): the
    backend owns what is known about the path.
    """
    conn = connections[using]
    keeper = getattr(conn, "schema_path", None)
    if keeper is None:
        yield _Window()
        return
    with keeper.own_path() as report:
        yield _Window(report)


@lru_cache(maxsize=8)
def _check_statement(schema_model: Any, membership_model: Any) -> tuple[str, tuple[Any, ...]]:
    schema_fields = tuple(schema_model._meta.concrete_fields)
    membership = membership_model._meta
    public = sql.Identifier(conf.SHARED_SCHEMA)
    columns = sql.SQL(", ").join(
        sql.SQL("s.{}").format(sql.Identifier(f.column)) for f in schema_fields
    )
    statement = sql.SQL(
        "SELECT pg_catalog.set_config('search_path', %s, %s), {columns}, m.{member_pk}, "
        "m.{member_role} "
        "FROM {public}.{schema_table} s "
        "LEFT JOIN {public}.{member_table} m "
        "ON m.{member_schema} = s.{schema_pk} AND m.{member_user} = %s "
        "WHERE s.{schema_name} = %s"
    ).format(
        columns=columns,
        public=public,
        schema_table=sql.Identifier(schema_model._meta.db_table),
        schema_pk=sql.Identifier(schema_model._meta.pk.column),
        schema_name=sql.Identifier(schema_model._meta.get_field("name").column),
        member_table=sql.Identifier(membership.db_table),
        member_pk=sql.Identifier(membership.pk.column),
        member_role=sql.Identifier(membership.get_field("role").column),
        member_schema=sql.Identifier(membership.get_field("schema").column),
        member_user=sql.Identifier(membership.get_field("user").column),
    )
    return statement.as_string(None), schema_fields


def _schema_from_row(schema_model: Any, fields: tuple[Any, ...], values: Any, conn: Any) -> Any:
    """Build the model instance the way the ORM does, converters included, so a swapped
    schema model with e.g. a ``JSONField`` gets Python values."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(schema_model._meta.db_table)
        converters = conn.ops.get_db_converters(column) + column.get_db_converters(conn)
        for converter in converters:
            value = converter(value, column, conn)
        converted.append(value)
    return schema_model.from_db(conn.alias, [f.attname for f in fields], converted)


def check_and_enter(user: Any, name: str, *, using: str | None = None) -> Check:
    """Decide whether ``user`` may use schema ``name``; when the schema row exists, the
    connection's ``search_path`` is set to it by the same statement (and the backend told).

    The caller activates the schema (``schema_context``) only when the check allows it; a
    refused check leaves the backend knowing the path it really set, so the next query in
    another schema sends its own ``SET``.
    """
    from .models import Membership

    if not is_usable_user(user):
        return Check(name, Verdict.ANONYMOUS)
    if name == conf.template_schema():
        return Check(name, Verdict.TEMPLATE)
    try:
        validate_schema_name(name)
    except InvalidSchemaName:
        return Check(name, Verdict.UNKNOWN)
    schema_model = get_schema_model()
    using = using or schema_db_alias()
    conn = connections[using]
    statement, fields = _check_statement(schema_model, Membership)
    params = [conn.schema_path.path_value(name), conn.schema_path.carry_locally, user.pk, name]  # type: ignore[attr-defined]
    with path_not_needed(using) as window:
        with conn.cursor() as cursor:
            cursor.execute(statement, params)
            row = cursor.fetchone()
        if row is not None:
            window.path_was_set(conn, name)
    if row is None:
        return Check(name, Verdict.UNKNOWN)
    schema = _schema_from_row(schema_model, fields, row[1:-2], conn)
    return decide(user, name, schema, row[-2], row[-1])


def decide(
    user: Any, name: str, schema: AbstractSchema | None, membership_id: int | None, role: str | None
) -> Check:
    """The ``Check`` for what a statement read about ``name`` (``schema`` ``None``: no row);
    shared with the schema-aware session engine, whose session read reads the same."""
    if schema is None:
        return Check(name, Verdict.UNKNOWN)
    decided = verdict(user, schema, membership_id is not None)
    # The role is known now for free: permission checks in this schema need no statement.
    remember_role(user, name, role)
    if decided is Verdict.NOT_MEMBER:
        return Check(name, decided, schema)
    return Check(name, decided, schema, membership_id, role)
