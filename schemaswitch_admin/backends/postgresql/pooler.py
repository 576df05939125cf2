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


#: Addresses already probed for statement-mode pooling.
_probed: set[tuple[Any, ...]] = set()


def refuse_per_transaction_misfits(settings_dict: dict[str, Any], connection: Any) -> None:
    """With ``SCHEMASWITCH_POOLER = "transaction"``: refuse what cannot work there.

    Server-side binding cannot send the path and the statement in one message, server-side
    cursors outlive the transaction that declared them, and a *statement*-mode pooler refuses
    the explicit transactions Django needs (``atomic()``). The last is probed once per
    process and address: a ``BEGIN ... COMMIT`` that a statement-mode pooler rejects.
    """
    options = settings_dict.get("OPTIONS") or {}
    if options.get("server_side_binding") is True:
        raise ImproperlyConfigured(
            "OPTIONS['server_side_binding'] = True cannot work behind a transaction-mode "
            "pooler (SCHEMASWITCH_POOLER = 'transaction'): the search_path must travel in the "
            "same message as each statement. Remove the option."
        )
    if not settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        raise ImproperlyConfigured(
            "Behind a transaction-mode pooler (SCHEMASWITCH_POOLER = 'transaction') set "
            "DISABLE_SERVER_SIDE_CURSORS = True on this database, as Django's docs require."
        )
    address = _address(connection)
    if address in _probed:
        return
    import psycopg

    autocommit = connection.autocommit
    try:
        connection.autocommit = False
        connection.execute("SELECT 1")
        connection.execute("SELECT 1")
        connection.commit()
    except psycopg.Error as exc:
        connection.close()
        raise ImproperlyConfigured(
            "The connection pooler refused a transaction: it runs in statement mode, where "
            "Django's transactions (atomic()) cannot work and no search_path can be kept. Use "
            f"transaction or session pooling. ({exc})"
        ) from exc
    connection.autocommit = autocommit
    _probed.add(address)
