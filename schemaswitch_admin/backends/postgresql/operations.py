from __future__ import annotations

from typing import Any


class SchemaSwitchOperationsMixin:
    """Stacked on the original backend's ``DatabaseOperations``."""

    def sql_flush(
        self, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        """Always cascade: tenant tables in every schema may reference shared tables (users),
        and PostgreSQL refuses to truncate a referenced table otherwise. ``flush`` empties
        the whole database, so emptying the referencing tenant tables is what it promises."""
        statements: list[str] = super().sql_flush(  # type: ignore[misc]
            style, tables, reset_sequences=reset_sequences, allow_cascade=True
        )
        return statements
