"""Building ``search_path`` values. Names are quoted by psycopg, never by string formatting."""

from __future__ import annotations

from functools import lru_cache

from psycopg import sql

from ... import conf


@lru_cache(maxsize=8192)
def path_value(schema: str | None) -> str:
    """The value of ``search_path`` for ``schema``: ``"<schema>", "public"`` or ``"public"``."""
    parts = [sql.Identifier(conf.SHARED_SCHEMA)]
    if schema is not None:
        parts.insert(0, sql.Identifier(schema))
    return sql.SQL(", ").join(parts).as_string(None)


@lru_cache(maxsize=8192)
def set_path_statement(schema: str | None) -> str:
    """The statement that puts ``schema``'s path on the connection for the session.

    ``set_config`` rather than ``SET``: the server stores (and, from PostgreSQL 18, reports)
    the value exactly as given, so the report can be compared with ``path_value`` as is.
    """
    return (
        sql.SQL("SELECT pg_catalog.set_config('search_path', {}, false)")
        .format(sql.Literal(path_value(schema)))
        .as_string(None)
    )


@lru_cache(maxsize=8192)
def local_path_statement(schema: str | None) -> str:
    """The path for the current transaction only (behind a transaction-mode pooler, where a
    session-level path would reach the next client of the server connection)."""
    return (
        sql.SQL("SELECT pg_catalog.set_config('search_path', {}, true)")
        .format(sql.Literal(path_value(schema)))
        .as_string(None)
    )


@lru_cache(maxsize=8192)
def reported_values(schema: str | None) -> frozenset[bytes]:
    """What a server that reports ``search_path`` says when ``schema``'s path is in place:
    the value we set, and for no schema also the session default we pin at connection
    (``public``, unquoted as the server prints it)."""
    values = {path_value(schema).encode()}
    if schema is None:
        values.add(conf.SHARED_SCHEMA.encode())
    return frozenset(values)


#: The startup option that makes ``public`` the session's default path, so that ``RESET ALL``
#: and ``DISCARD ALL`` never bring back ``"$user"`` (a schema named like the role).
PIN_DEFAULT_PATH_OPTION = "-c search_path=" + conf.SHARED_SCHEMA
