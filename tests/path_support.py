"""Recognising the backend's own path statement in captured queries, and reading the path."""

from __future__ import annotations

import re

from django.db import connection

#: The backend's standalone statement (the membership check also calls set_config, but
#: inside a query that reads the schema row).
PATH_SET_RE = re.compile(r"^SELECT pg_catalog\.set_config\('search_path', '[^']*', false\)$")


def is_path_set(sql: str) -> bool:
    return bool(PATH_SET_RE.match(sql))


def path_sets(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if is_path_set(q["sql"])]


def set_statement(*schemas: str) -> str:
    value = ", ".join(f'"{s}"' for s in (*schemas, "public"))
    return f"SELECT pg_catalog.set_config('search_path', '{value}', false)"


def effective_path(conn=connection) -> str:
    """The schemas in effect, e.g. ``"acme, public"`` (independent of how the path was set)."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT array_to_string(pg_catalog.current_schemas(false), ', ')")
        return cursor.fetchone()[0]


def server_reports_path(conn=connection) -> bool:
    conn.ensure_connection()
    return conn.schema_path.server_reports


def drop_leftover_schemas(*names: str) -> None:
    """Drop PostgreSQL schemas an interrupted transactional test may have left behind."""
    from psycopg import sql

    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
            )
