"""The one statement that reads a session, re-checks the membership and sets the path.

It joins the session row to the schema row (the name the middleware asked for, else the
session's own choice) and to the membership of the session's user, and carries
``set_config('search_path', ...)`` in its select list, evaluated only when the schema row
exists. Every table is named with its schema (``public``), so the read gives the same rows
whatever path the connection still holds, and it reports the path it set to the backend's
keeper (``own_path()``), the protocol ``entering.check_and_enter`` follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connections
from psycopg import sql

from .. import conf
from ..backends.postgresql.wrapper import path_keeper
from ..entering import _schema_from_row
from ..schema_model import get_schema_model


@dataclass(frozen=True)
class SessionRead:
    """What the read found besides the session data: the raw material of a ``Check``."""

    session_key: str
    alias: str
    #: The session's user (the row's column), checked against the data by the store.
    user_id: Any
    #: The schema name the statement looked up (``None``: none).
    name: str | None
    schema: Any = None
    membership_id: int | None = None
    role: str | None = None
    #: The statement put ``name``'s path on the connection (and the keeper was told).
    path_set: bool = False


@lru_cache(maxsize=8)
def _statement(
    session_model: Any, schema_model: Any, membership_model: Any
) -> tuple[str, tuple[Any, ...]]:
    session = session_model._meta
    membership = membership_model._meta
    schema_fields = tuple(schema_model._meta.concrete_fields)
    public = sql.Identifier(conf.SHARED_SCHEMA)
    schema_pk = sql.Identifier(schema_model._meta.pk.column)
    columns = sql.SQL(", ").join(
        sql.SQL("s.{}").format(sql.Identifier(f.column)) for f in schema_fields
    )
    statement = sql.SQL(
        "SELECT ss.{data}, ss.{user}, ss.{name}, "
        "CASE WHEN s.{schema_pk} IS NULL THEN NULL "
        "ELSE pg_catalog.set_config('search_path', COALESCE(%s, ss.{path}), %s) END, "
        "{columns}, m.{member_pk}, m.{member_role} "
        "FROM {public}.{session_table} ss "
        "LEFT JOIN {public}.{schema_table} s ON s.{schema_name} = COALESCE(%s, ss.{name}) "
        "LEFT JOIN {public}.{member_table} m "
        "ON m.{member_schema} = s.{schema_pk} AND m.{member_user} = ss.{user} "
        "WHERE ss.{key} = %s AND ss.{expires} > %s"
    ).format(
        data=sql.Identifier(session.get_field("session_data").column),
        user=sql.Identifier(session.get_field("user").column),
        name=sql.Identifier(session.get_field("schema_name").column),
        path=sql.Identifier(session.get_field("schema_path").column),
        key=sql.Identifier(session.get_field("session_key").column),
        expires=sql.Identifier(session.get_field("expire_date").column),
        session_table=sql.Identifier(session.db_table),
        columns=columns,
        public=public,
        schema_table=sql.Identifier(schema_model._meta.db_table),
        schema_pk=schema_pk,
        schema_name=sql.Identifier(schema_model._meta.get_field("name").column),
        member_table=sql.Identifier(membership.db_table),
        member_pk=sql.Identifier(membership.pk.column),
        member_role=sql.Identifier(membership.get_field("role").column),
        member_schema=sql.Identifier(membership.get_field("schema").column),
        member_user=sql.Identifier(membership.get_field("user").column),
    )
    return statement.as_string(None), schema_fields


def _pk_index(fields: tuple[Any, ...]) -> int:
    return next(i for i, field in enumerate(fields) if field.primary_key)


def read_session(
    session_model: Any, session_key: str | None, wanted: str | None, now: datetime, using: str
) -> tuple[str, SessionRead] | None:
    """The session's data and what the read found, or ``None`` when no unexpired row has
    that key. ``wanted``: the schema the request asks for, ``None`` for the session's own
    choice, ``""`` for none. The connection must have the backend's path keeper."""
    from ..models import Membership

    conn = connections[using]
    # Often the request's first statement: connect first, so ``carry_locally`` already says
    # whether a transaction-mode pooler sits in between (a session-level path would reach the
    # next client of the server connection).
    conn.ensure_connection()
    keeper = path_keeper(conn)
    schema_model = get_schema_model()
    statement, fields = _statement(session_model, schema_model, Membership)
    if session_key is None:  # Django reads no session without a key; neither do we
        return None
    given_path = keeper.path_value(wanted) if wanted else None
    params = [given_path, keeper.carry_locally, wanted, session_key, now]
    with keeper.own_path() as report:
        with conn.cursor() as cursor:
            cursor.execute(statement, params)
            row = cursor.fetchone()
        if row is None:
            return None
        data, user_id, chosen, set_to = row[0], row[1], row[2], row[3]
        name = chosen if wanted is None else wanted or None
        # Report only what the server says it set, and only when that is the path the
        # keeper expects for the name: a stored path that disagrees leaves it unknown.
        path_set = name is not None and set_to is not None and set_to == keeper.path_value(name)
        if path_set:
            report.set(name)
    schema_values = row[4:-2]
    schema = None
    if schema_values[_pk_index(fields)] is not None:
        schema = _schema_from_row(schema_model, fields, schema_values, conn)
    return data, SessionRead(
        session_key=session_key,
        alias=using,
        user_id=user_id,
        name=name,
        schema=schema,
        membership_id=row[-2] if schema is not None else None,
        role=row[-1] if schema is not None else None,
        path_set=path_set,
    )
