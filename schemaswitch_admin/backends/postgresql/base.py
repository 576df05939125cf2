"""PostgreSQL backend that keeps the connection's ``search_path`` equal to the active schema.

Correctness rests on one rule: we only skip a ``SET search_path`` when we *know* the
connection already holds that path. The knowledge is dropped whenever PostgreSQL may have
changed the path behind our back: a new or pooled connection, a rollback, a savepoint rollback
(``SET`` is transactional and a savepoint rollback undoes it), a closed connection, and the
start of every request (user code may have run its own ``SET``).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base
from django.utils.functional import cached_property

from ...state import get_active_schema
from .errors import SchemaAwareErrorWrapper
from .operations import DatabaseOperations
from .search_path import path_value, set_path_statement

_UNKNOWN: Any = object()


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
        return super().get_new_connection(conn_params)

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
