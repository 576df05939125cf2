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
    """``SET search_path TO ...``; cached because it runs on the hot path."""
    return "SET search_path TO " + path_value(schema)
