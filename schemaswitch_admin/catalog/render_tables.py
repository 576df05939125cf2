"""``CREATE TABLE``, the copy of the rows, and the ``ALTER TABLE`` that follows them.

A bare clone creates the tables in ``ordering.bare_table_order`` with what it may declare
inline; a clone with rows creates them with their columns (and identities) alone, in catalog
order, copies the rows and only then adds defaults, keys and checks in one ``ALTER TABLE`` per
table (for Citus, one per subcommand). The migration history's rows are copied by every
clone: they are what makes the new schema's migration state the source's.
"""

from __future__ import annotations

from collections.abc import Mapping

from psycopg import sql

from .model import Catalog, Relation
from .ordering import TableOrder
from .render_columns import column_actions, column_definitions
from .render_constraints import additions, inline_constraints
from .script import Piece, Statement, alter_table, in_target, qualified, statement, with_options


def render_tables(
    catalog: Catalog,
    order: TableOrder,
    history_table: str,
    identities: Mapping[tuple[int, int], sql.Composable],
) -> list[Statement]:
    tables = catalog.of_kind("r")
    # Composed once, used by both forms of CREATE TABLE.
    columns = {table.oid: column_definitions(table, identities) for table in tables}
    statements = [
        _create_table(
            "tables_bare",
            table,
            columns[table.oid] + inline_constraints(catalog, table, order),
        )
        for table in order.tables
    ]
    for table in tables:
        statements.append(_create_table("tables_data", table, columns[table.oid]))
        statements += _copy_rows(catalog.source, table, history_table)
    return statements


def render_table_alterations(
    catalog: Catalog, order: TableOrder, *, alone: bool = False
) -> list[Statement]:
    """Defaults and storage for every clone; the keys and checks a bare clone could not
    declare inline; for a clone with rows, all keys and checks."""
    statements: list[Statement] = []
    for table in catalog.of_kind("r"):
        actions = column_actions(table)
        keys = [c for c in catalog.constraints_of(table.oid) if c.kind != "f"]
        later = [c for c in keys if c.oid not in order.inline]
        for section, chosen in (("alter_data", keys), ("alter_bare", later)):
            statements += alter_table(
                section, table.name, actions + additions(chosen), alone=alone
            )
    return statements


def _create_table(section: str, table: Relation, elements: list[sql.Composable]) -> Statement:
    return statement(
        section,
        "CREATE UNLOGGED TABLE " if table.unlogged else "CREATE TABLE ",
        *in_target(table.name),
        " (",
        sql.SQL(", ").join(elements),
        ")",
        *with_options(table.options),
    )


def _copy_rows(source: str, table: Relation, history_table: str) -> list[Statement]:
    copied = [c for c in table.columns if not c.generated]
    if not copied:
        return []
    # A value of the source's enum is not one of the target's: go through text.
    values = [
        sql.SQL("{}::text::{}").format(sql.Identifier(c.name), sql.SQL(c.type))
        if c.own_type
        else sql.Identifier(c.name)
        for c in copied
    ]
    # The rows keep their ids: an ALWAYS identity accepts them only when told to.
    always = any(c.identity == "a" for c in copied)
    overriding = sql.SQL(" OVERRIDING SYSTEM VALUE" if always else "")
    copy: tuple[Piece, ...] = (
        "INSERT INTO ",
        *in_target(table.name),
        sql.SQL(" ({}){} SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(c.name) for c in copied),
            overriding,
            sql.SQL(", ").join(values),
            qualified(source, table.name),
        ),
    )
    statements = [statement("rows", *copy)]
    if table.name == history_table:
        statements.append(statement("history", *copy))
    return statements
