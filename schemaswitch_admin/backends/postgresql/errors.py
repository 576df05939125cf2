"""Turns "relation does not exist" into an error that says what is missing: a schema."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from django.db.utils import DatabaseErrorWrapper
from psycopg import errors as pg_errors

from ...exceptions import SchemaNotActivatedError
from ...state import get_active_schema

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


class SchemaAwareErrorWrapper(DatabaseErrorWrapper):
    wrapper: BaseDatabaseWrapper  # set by DatabaseErrorWrapper.__init__

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc_value, pg_errors.UndefinedTable) and get_active_schema() is None:
            self.wrapper.errors_occurred = True
            detail = getattr(exc_value.diag, "message_primary", None) or str(exc_value)
            raise SchemaNotActivatedError(
                f"{detail}. No schema is active, so only shared tables (in 'public') can be "
                "reached. Activate a schema first: wrap the code in "
                "schemaswitch_admin.schema_context('<name>'), or choose a schema for the "
                "request (SchemaSwitchMiddleware)."
            ).with_traceback(traceback) from exc_value
        return super().__exit__(exc_type, exc_value, traceback)
