"""Telling a direct connection from one that goes through a connection pooler.

A pooler shows itself by its own backend key: the pid the client was told at connection
differs from the pid of the server process that runs the queries. Checked once per process
and server address, so even non-persistent connections (``CONN_MAX_AGE = 0``) pay no round
trip per request.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from ... import conf

#: Server addresses already seen to be reached directly.
_direct: set[tuple[Any, ...]] = set()


def _address(connection: Any) -> tuple[Any, ...]:
    info = connection.info
    return (info.host, info.port, info.dbname, info.user)


def refuse_undeclared_pooler(connection: Any) -> None:
    """Refuse a connection that goes through a pooler, unless one is declared
    (``SCHEMASWITCH_POOLER``).

    A transaction-mode pooler hands the server connection, with its ``search_path``, to
    another client after each transaction, so the path set for one client is the path the
    next one's queries run with.
    """
    address = _address(connection)
    if conf.pooler_mode() is not None or address in _direct:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_catalog.pg_backend_pid()")
        (server_pid,) = cursor.fetchone()
    if not connection.autocommit:
        connection.rollback()
    if server_pid != connection.info.backend_pid:
        connection.close()
        raise ImproperlyConfigured(
            "A connection pooler sits between Django and PostgreSQL. In transaction or "
            "statement mode it hands one client's search_path to another, so tenants would "
            "see each other's rows. Connect directly, or use session pooling and set "
            "SCHEMASWITCH_POOLER = 'session'."
        )
    _direct.add(address)


def is_unsupported_startup_option(exc: BaseException) -> bool:
    """A pooler (PgBouncer) refusing the startup ``options`` we pin the path with."""
    return "unsupported startup parameter" in str(exc)
