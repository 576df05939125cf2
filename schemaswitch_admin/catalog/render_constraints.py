"""Keys, checks, exclusion constraints and foreign keys, in ``pg_get_constraintdef`` text.

Where each goes depends on the clone: a bare clone declares what ``ordering`` allows inside
``CREATE TABLE`` and adds the rest afterwards; a clone with rows adds all of them after the
rows (foreign keys after the indexes), so no row is refused for the order it was copied in.
"""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql

from .model import Catalog, Constraint, Relation
from .ordering import TableOrder
from .script import Piece, Statement, alter_table


def inline_constraints(
    catalog: Catalog, table: Relation, order: TableOrder
) -> list[sql.Composable]:
    """``CONSTRAINT name definition`` for those a bare clone declares in ``CREATE TABLE``."""
    return [
        sql.SQL("CONSTRAINT {} {}").format(sql.Identifier(c.name), sql.SQL(c.definition))
        for c in catalog.constraints_of(table.oid)
        if c.oid in order.inline
    ]


def additions(constraints: Iterable[Constraint]) -> list[list[Piece]]:
    """``ADD CONSTRAINT name definition`` actions for an ``ALTER TABLE``."""
    return [
        [sql.SQL("ADD CONSTRAINT {} ").format(sql.Identifier(c.name)), c.definition]
        for c in constraints
    ]


def render_foreign_keys(
    catalog: Catalog, order: TableOrder, *, alone: bool = False
) -> list[Statement]:
    statements: list[Statement] = []
    for table in catalog.of_kind("r"):
        keys = [c for c in catalog.constraints_of(table.oid) if c.kind == "f"]
        later = [c for c in keys if c.oid not in order.inline]
        for section, chosen in (("fk_data", keys), ("fk_bare", later)):
            statements += alter_table(section, table.name, additions(chosen), alone=alone)
    return statements
