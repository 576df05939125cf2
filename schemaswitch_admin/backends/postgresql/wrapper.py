"""The schema-switching behaviour as a mixin for any PostgreSQL ``DatabaseWrapper``.

``schemaswitch_admin.backends.postgresql`` stacks it on Django's PostgreSQL backend, or on the
backend named by ``SCHEMASWITCH_ORIGINAL_BACKEND`` (PostGIS, a project's own subclass). A
project that builds its own backend class can also mix it in directly::

    class DatabaseWrapper(SchemaSwitchWrapperMixin, MyDatabaseWrapper):
        pass

The package recognises "our" connections by this class (``is_schemaswitch_connection``), never
by the ENGINE string. The mixin only hooks Django's connection life cycle; the path itself is
the ``PathKeeper``'s business (``connection.schema_path``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import cached_property

from ... import conf
from ...state import _active_schema, schema_context
from .cursors import path_cursor_class
from .errors import SchemaAwareErrorWrapper
from .pathkeeper import PathKeeper
from .pooler import (
    is_unsupported_startup_option,
    refuse_per_transaction_misfits,
    refuse_undeclared_pooler,
)
from .search_path import PIN_DEFAULT_PATH_OPTION

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from typing_extensions import TypeIs


def is_schemaswitch_connection(connection: object) -> TypeIs[SchemaSwitchWrapperMixin]:
    return isinstance(connection, SchemaSwitchWrapperMixin)


def path_keeper(connection: BaseDatabaseWrapper) -> PathKeeper:
    """``connection.schema_path`` for code that holds a connection as Django types it.

    Code that sets or skips the path itself (cloning, snapshots, fixtures) only makes sense
    on this package's backend; on any other the error names the database to fix.
    """
    # Read the attribute, not the class: django.db.connection is a proxy to the wrapper.
    keeper = getattr(connection, "schema_path", None)
    if not isinstance(keeper, PathKeeper):
        raise ImproperlyConfigured(
            f"Database {connection.alias!r} does not use schemaswitch_admin's backend "
            "(ENGINE 'schemaswitch_admin.backends.postgresql'), so it has no schema path."
        )
    return keeper


def _in_schema(func: Callable[[], Any], schema: str | None) -> Callable[[], Any]:
    @functools.wraps(func)
    def run() -> Any:
        with schema_context(schema):
            return func()

    return run


class SchemaSwitchWrapperMixin:
    """Put before the PostgreSQL ``DatabaseWrapper`` class it extends."""

    settings_dict: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The owner of the connection's search_path (see ``pathkeeper``).
        self.schema_path = PathKeeper(self)  # type: ignore[arg-type]
        self._path_cursor_classes: dict[bool, type] = {}

    @property
    def search_path_sets(self) -> int:
        """How many ``SET``s of the path this connection sent (tests, the debug panel)."""
        return self.schema_path.sets

    # -- connecting ---------------------------------------------------------------------

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()  # type: ignore[misc]
        if conf.pooler_mode() is None:
            options = params.get("options") or ""
            params["options"] = f"{options} {PIN_DEFAULT_PATH_OPTION}".strip()
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self.schema_path.disconnected()
        try:
            connection = super().get_new_connection(conn_params)  # type: ignore[misc]
        except self.Database.OperationalError as exc:  # type: ignore[attr-defined]
            if is_unsupported_startup_option(exc):
                raise ImproperlyConfigured(
                    "A connection pooler sits between Django and PostgreSQL (it refused a "
                    "startup option). In transaction or statement mode it hands one client's "
                    "search_path to another, so tenants would see each other's rows. Connect "
                    "directly, or use session pooling and set SCHEMASWITCH_POOLER = 'session'."
                ) from exc
            raise
        mode = conf.pooler_mode()
        refuse_undeclared_pooler(connection)
        if mode == "transaction":
            refuse_per_transaction_misfits(self.settings_dict, connection)
        self.schema_path.connected(
            connection, trust_reports=mode is None, per_transaction=mode == "transaction"
        )
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        if name and self.schema_path.per_transaction:
            raise ImproperlyConfigured(
                "Server-side cursors cannot work behind a transaction-mode pooler "
                "(SCHEMASWITCH_POOLER = 'transaction'): set DISABLE_SERVER_SIDE_CURSORS = True "
                f"on database {self.alias!r}."  # type: ignore[attr-defined]
            )
        return super().create_cursor(name)  # type: ignore[misc]

    def _close(self) -> None:
        self.schema_path.disconnected()
        super()._close()  # type: ignore[misc]

    # -- statements -----------------------------------------------------------------------

    def make_cursor(self, cursor: Any) -> Any:
        return self._path_cursor_class(False, cursor)(cursor, self)

    def make_debug_cursor(self, cursor: Any) -> Any:
        return self._path_cursor_class(True, cursor)(cursor, self)

    def _path_cursor_class(self, debug: bool, cursor: Any) -> type:
        cls = self._path_cursor_classes.get(debug)
        if cls is None:
            make = super().make_debug_cursor if debug else super().make_cursor  # type: ignore[misc]
            base: type = type(make(cursor))
            cls = self._path_cursor_classes[debug] = path_cursor_class(base)
        return cls

    # -- transactions -------------------------------------------------------------------

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self.schema_path.transaction_ended()

    def _rollback(self) -> None:
        # SET is transactional: a rollback may undo the path the keeper set.
        self.schema_path.forget()
        super()._rollback()  # type: ignore[misc]

    def _savepoint(self, sid: str) -> None:
        with self.schema_path.independent():
            super()._savepoint(sid)  # type: ignore[misc]

    def _savepoint_commit(self, sid: str) -> None:
        with self.schema_path.independent():
            super()._savepoint_commit(sid)  # type: ignore[misc]

    def _savepoint_rollback(self, sid: str) -> None:
        # A savepoint rollback undoes a SET issued after the savepoint. The transaction may
        # be aborted, where any statement but the rollback fails: send no SET before it.
        self.schema_path.forget()
        with self.schema_path.independent():
            super()._savepoint_rollback(sid)  # type: ignore[misc]
        self.schema_path.forget()

    def on_commit(self, func: Callable[[], Any], robust: bool = False) -> Any:
        """Callbacks run in the schema that was active when they were registered, whatever
        is active when the transaction commits."""
        return super().on_commit(_in_schema(func, _active_schema.get()), robust)  # type: ignore[misc]

    @cached_property
    def wrap_database_errors(self) -> SchemaAwareErrorWrapper:
        return SchemaAwareErrorWrapper(self)
