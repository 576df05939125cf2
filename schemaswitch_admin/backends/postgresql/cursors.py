"""Django cursor wrappers that enforce the path per statement, not per cursor.

A cursor is often opened in one schema and used after work in another (a cursor kept across
``schema_context`` blocks, an ``execute_wrapper`` that runs ORM queries of its own). The path
is therefore checked right before each statement reaches the driver: after Django's execute
wrappers have run, so whatever they did in other schemas, the statement itself runs in the
schema active for it.

Reading follows the same rule from the other side: rows produced in one schema are not read
while another schema is active. The ORM's ``.iterator()`` fetches in chunks and runs
``prefetch_related`` queries between them; continued in another schema it would attach that
schema's related rows to the first schema's objects. Such a read raises ``SchemaChangedError``
instead. Reading with no schema active (after leaving the block) stays allowed: the rows are
already determined and a private query cannot run anyway.

This module is the one place that relies on ``CursorWrapper._execute``/``_executemany``
(Django's private hooks below the execute wrappers); tests/test_backend_internals.py pins
their behaviour on both supported Django lines.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ...exceptions import SchemaChangedError
from ...state import _active_schema

if TYPE_CHECKING:
    from .wrapper import SchemaSwitchWrapperMixin


class PathCursorMixin:
    """Mixed into the backend's cursor wrapper classes (plain and debug)."""

    db: SchemaSwitchWrapperMixin
    cursor: Any
    #: The backend's own ``SET`` statement: it must not ask for a path first.
    _path_exempt = False
    #: The schema the last statement ran in (``None``: none, or nothing ran yet).
    _ran_in: str | None = None

    def _execute(self, sql: Any, params: Any, *args: Any) -> Any:
        if self._path_exempt:
            return super()._execute(sql, params, *args)  # type: ignore[misc]
        keeper = self.db.schema_path
        if not keeper.per_transaction:
            self._ran_in = keeper.before_statement()
            return super()._execute(sql, params, *args)  # type: ignore[misc]
        # Behind a transaction-mode pooler the path travels in the statement's own message.
        self._ran_in, prefix = keeper.statement_prefix()
        if prefix is None:
            return super()._execute(sql, params, *args)  # type: ignore[misc]
        result = super()._execute(_prefixed(prefix, sql), params, *args)  # type: ignore[misc]
        with self.db.wrap_database_errors:
            self.cursor.nextset()  # past the path's own result, to the statement's
        keeper.prefix_sent(self._ran_in)
        return result

    def _before_unprefixable(self) -> str | None:
        keeper = self.db.schema_path
        if keeper.per_transaction:
            return keeper.set_for_transaction()
        return keeper.before_statement()

    def _executemany(self, sql: Any, param_list: Any, *args: Any) -> Any:
        if not self._path_exempt:
            self._ran_in = self._before_unprefixable()
        return super()._executemany(sql, param_list, *args)  # type: ignore[misc]

    def callproc(self, procname: Any, params: Any = None, kparams: Any = None) -> Any:
        self._ran_in = self._before_unprefixable()
        return super().callproc(procname, params, kparams)  # type: ignore[misc]

    def copy(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        """psycopg's ``COPY``: a statement like any other."""
        self._ran_in = self._before_unprefixable()
        parent = getattr(super(), "copy", None)
        if parent is not None:
            return parent(statement, *args, **kwargs)
        return self.cursor.copy(statement, *args, **kwargs)

    # -- reading ------------------------------------------------------------------------

    def _check_reader(self) -> None:
        ran_in = self._ran_in
        if ran_in is not None:
            active = _active_schema.get()
            if active is not None and active != ran_in:
                raise SchemaChangedError(
                    f"Rows of a query run in schema {ran_in!r} are being read while schema "
                    f"{active!r} is active. Finish reading (and prefetching) inside "
                    f"schema_context({ran_in!r})."
                )

    def fetchone(self) -> Any:
        self._check_reader()
        with self.db.wrap_database_errors:
            return self.cursor.fetchone()

    def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        self._check_reader()
        with self.db.wrap_database_errors:
            return self.cursor.fetchmany(*args, **kwargs)

    def fetchall(self) -> Any:
        self._check_reader()
        with self.db.wrap_database_errors:
            return self.cursor.fetchall()

    def __iter__(self) -> Any:
        self._check_reader()
        with self.db.wrap_database_errors:
            yield from self.cursor


def _prefixed(prefix: str, statement: Any) -> Any:
    if isinstance(statement, str):
        return prefix + statement
    if isinstance(statement, bytes):
        return prefix.encode() + statement
    from psycopg import sql

    return sql.Composed([sql.SQL(prefix), statement])


@lru_cache(maxsize=16)
def path_cursor_class(base: type) -> type:
    """``base`` (the wrapper class the stacked backend would use) with the mixin on top."""
    return type(base.__name__, (PathCursorMixin, base), {"__module__": __name__})
