from __future__ import annotations

from django.db.backends.postgresql.operations import DatabaseOperations as PGOperations


class DatabaseOperations(PGOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        """Always cascade: tenant tables in every schema may reference shared tables (users),
        and PostgreSQL refuses to truncate a referenced table otherwise. ``flush`` empties
        the whole database, so emptying the referencing tenant tables is what it promises."""
        return super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=True
        )
