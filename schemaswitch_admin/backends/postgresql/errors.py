"""Turns "relation does not exist" into an error that says what is missing: a schema."""

from __future__ import annotations

from django.db.utils import DatabaseErrorWrapper
from psycopg import errors as pg_errors

from ...exceptions import SchemaNotActivatedError
from ...state import get_active_schema


class SchemaAwareErrorWrapper(DatabaseErrorWrapper):
    def __exit__(self, exc_type, exc_value, traceback):  # type: ignore[override]
        if (
            exc_type is not None
            and issubclass(exc_type, pg_errors.UndefinedTable)
            and get_active_schema() is None
        ):
            self.wrapper.errors_occurred = True
            detail = getattr(exc_value.diag, "message_primary", None) or str(exc_value)
            raise SchemaNotActivatedError(
                f"{detail}. No schema is active, so only shared tables (in 'public') can be "
                "reached. Activate a schema first: wrap the code in "
                "schemaswitch_admin.schema_context('<name>'), or choose a schema for the "
                "request (SchemaSwitchMiddleware)."
            ).with_traceback(traceback) from exc_value
        return super().__exit__(exc_type, exc_value, traceback)
