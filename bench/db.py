"""The benchmark databases: created fresh for each part and dropped after it.

They live on the server ``schemaswitch_admin.dev.db`` picks (``DATABASE_URL``, else the
embedded PostgreSQL in ``.pgdata``), beside the test and demo databases but never touching
them: every name starts with ``BENCH_DB_PREFIX`` (default ``bench``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from schemaswitch_admin.dev.db import database_from_url, embedded_server_url

_url: str | None = None


def server_url() -> str:
    """The server's URL; starting the embedded server here keeps it up between children."""
    global _url
    if _url is None:
        _url = os.environ.get("DATABASE_URL") or embedded_server_url()
    return _url


def prefix() -> str:
    return os.environ.get("BENCH_DB_PREFIX", "bench")


def db_name(suffix: str) -> str:
    return f"{prefix()}_{suffix}"


def connect(dbname: str, **kwargs: Any) -> psycopg.Connection:
    config = database_from_url(server_url())
    return psycopg.connect(
        dbname=dbname,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        **kwargs,
    )


def drop_database(name: str) -> None:
    with connect("postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def create_database(name: str) -> None:
    """A new, empty database (an old one of the same name is dropped first)."""
    drop_database(name)
    with connect("postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextmanager
def fresh_databases(*names: str) -> Iterator[None]:
    """Create ``names`` empty for the block and drop them after it, whatever happens."""
    try:
        for name in names:
            create_database(name)
        yield
    finally:
        for name in names:
            drop_database(name)


def server_version() -> str:
    with connect("postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"
