"""Column definitions for ``CREATE TABLE`` and the column changes made after the rows.

Columns are written out rather than copied with ``LIKE``: ``LIKE`` keeps column types by
identity, so a column of an enum defined in the source would keep the source's enum, whereas
``format_type`` printed the type unqualified and it resolves to the target's copy. Defaults
are not declared in ``CREATE TABLE``: they may call functions created after the tables, and
a clone with rows must not fire them for copied rows. Identities are declared there: they
call nothing, the copied rows carry their own values, and Citus refuses to add one later.
"""

from __future__ import annotations

from collections.abc import Mapping

from psycopg import sql

from .model import Relation
from .script import Piece, qualified

_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}
_GENERATED = {"s": "STORED", "v": "VIRTUAL"}


def column_definitions(
    table: Relation, identities: Mapping[tuple[int, int], sql.Composable]
) -> list[sql.Composable]:
    """Name, type, collation, compression, generation, identity (with its sequence clause
    from ``identities``) and not-null of each column."""
    columns: list[sql.Composable] = []
    for column in table.columns:
        parts: list[sql.Composable] = [sql.Identifier(column.name), sql.SQL(column.type)]
        if column.collation:
            parts.append(sql.SQL("COLLATE {}").format(qualified(*column.collation)))
        compression = _COMPRESSION.get(column.compression or "")
        if compression:
            parts.append(sql.SQL("COMPRESSION " + compression))
        if column.generated:
            parts.append(
                sql.SQL("GENERATED ALWAYS AS ({}) {}").format(
                    sql.SQL(column.expression or ""),
                    sql.SQL(_GENERATED[column.generated]),
                )
            )
        identity = identities.get((table.oid, column.attnum))
        if column.identity and identity is not None:
            parts.append(
                sql.SQL("GENERATED {} AS IDENTITY {}").format(
                    sql.SQL("ALWAYS" if column.identity == "a" else "BY DEFAULT"), identity
                )
            )
        if column.not_null:
            if column.not_null_name:
                parts.append(sql.SQL("CONSTRAINT {}").format(sql.Identifier(column.not_null_name)))
            parts.append(sql.SQL("NOT NULL"))
        columns.append(sql.SQL(" ").join(parts))
    return columns


def column_actions(table: Relation) -> list[list[Piece]]:
    """``ALTER COLUMN`` actions: default, and storage that differs from the type's."""
    actions: list[list[Piece]] = []
    for column in table.columns:
        name = sql.Identifier(column.name)
        if column.expression and not column.generated:
            actions.append(
                [sql.SQL("ALTER COLUMN {} SET DEFAULT ").format(name), column.expression]
            )
        if column.storage:
            actions.append(
                [
                    sql.SQL("ALTER COLUMN {} SET STORAGE {}").format(
                        name, sql.SQL(_STORAGE[column.storage])
                    )
                ]
            )
    return actions
