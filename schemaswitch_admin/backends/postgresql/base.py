"""PostgreSQL backend that keeps the connection's ``search_path`` equal to the active schema.

Correctness rests on one rule: we only skip a ``SET search_path`` when we *know* the
connection already holds that path. The knowledge is dropped whenever PostgreSQL may have
changed the path behind our back: a new or pooled connection, a rollback, a savepoint rollback
(``SET`` is transactional and a savepoint rollback undoes it), a closed connection, and the
start of every request (user code may have run its own ``SET``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base
from django.utils.functional import cached_property

from ... import conf
from ...state import get_active_schema
from .errors import SchemaAwareErrorWrapper
from .operations import DatabaseOperations
from .search_path import path_value, set_path_statement

_UNKNOWN: Any = object()

#: Server addresses already seen to be reached directly, not through a pooler. Checked once
#: per process and address, so even non-persistent connections (CONN_MAX_AGE = 0, a new
#: connection per request) do not pay a round trip each time.
_direct: set[tuple[Any, ...]] = set()


def _address(connection: Any) -> tuple[Any, ...]:
    info = connection.info
    return (info.host, info.port, info.dbname, info.user)


def refuse_transaction_pooler(connection: Any) -> None:
    """Refuse a connection that goes through a pooler, unless it is declared session-mode.

    A transaction-mode pooler (PgBouncer's default in many setups) hands the server
    connection, with its ``search_path``, to another client after each transaction, so the
    path this backend set is not the path the next query runs with. A pooler shows itself by
    its own backend key: the pid the client was told differs from the server's real pid.
    """
    address = _address(connection)
    if conf.pooler_mode() == "session" or address in _direct:
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


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The schema whose path the connection holds (``None``: only public), or unknown.
        self._path_schema: Any = _UNKNOWN
        #: How many ``SET search_path`` statements this wrapper sent (for tests and panels).
        self.search_path_sets = 0

    # -- knowledge of the current path -------------------------------------------------

    def forget_search_path(self) -> None:
        """Stop trusting the cached path; the next query re-sends it."""
        self._path_schema = _UNKNOWN

    def search_path_is_known(self, schema: str | None) -> bool:
        return self._path_schema is not _UNKNOWN and self._path_schema == schema

    def note_search_path(self, schema: str | None) -> None:
        """Record that a statement run by the caller (e.g. a ``set_config`` carried by
        another query) has just put ``schema``'s path on the connection."""
        self._path_schema = schema

    @staticmethod
    def search_path_value(schema: str | None) -> str:
        return path_value(schema)

    def ensure_search_path(self) -> None:
        """Send ``SET search_path`` when the connection may not hold the active schema's."""
        wanted = get_active_schema()
        if self._path_schema is not _UNKNOWN and self._path_schema == wanted:
            return
        self._path_schema = _UNKNOWN
        with self.wrap_database_errors:
            cursor = self._prepare_cursor(self.create_cursor())
        with cursor:
            cursor.execute(set_path_statement(wanted))
        self.search_path_sets += 1
        self._path_schema = wanted

    # -- hooks into Django's connection life cycle --------------------------------------

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self._path_schema = _UNKNOWN
        connection = super().get_new_connection(conn_params)
        refuse_transaction_pooler(connection)
        return connection

    def _cursor(self, name: str | None = None) -> Any:
        cursor = super()._cursor(name)
        try:
            self.ensure_search_path()
        except BaseException:
            cursor.close()
            raise
        return cursor

    def _rollback(self) -> None:
        self._path_schema = _UNKNOWN
        return super()._rollback()

    def _savepoint_rollback(self, sid: str) -> None:
        # Use a cursor without the path hook: the transaction may be aborted, where any
        # statement but the rollback fails.
        self._path_schema = _UNKNOWN
        with self.wrap_database_errors:
            cursor = self._prepare_cursor(self.create_cursor())
        with cursor:
            cursor.execute(self.ops.savepoint_rollback_sql(sid))

    def _close(self) -> None:
        self._path_schema = _UNKNOWN
        return super()._close()

    @cached_property
    def wrap_database_errors(self) -> SchemaAwareErrorWrapper:
        return SchemaAwareErrorWrapper(self)
