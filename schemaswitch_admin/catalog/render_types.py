"""``CREATE TYPE ... AS ENUM`` for the enums defined in the source schema.

Enums come first in the script: columns, function signatures and casts in copied rows name
them. The target gets its own copy, so a column of the source's enum becomes a column of the
target's (see ``render_columns``).
"""

from __future__ import annotations

from psycopg import sql

from .model import Catalog
from .script import Statement, in_target, statement


def render_types(catalog: Catalog) -> list[Statement]:
    return [
        statement(
            "early",
            "CREATE TYPE ",
            *in_target(enum.name),
            " AS ENUM (",
            sql.SQL(", ").join(sql.Literal(label) for label in enum.labels),
            ")",
        )
        for enum in catalog.types
    ]
