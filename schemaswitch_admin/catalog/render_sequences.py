"""Sequences: created, owned, made into identities, and moved to the source's position.

A sequence owned by a column (a serial) is created before the tables, since the column's
default names it, and tied to its column once the tables exist. An identity sequence is not
created on its own: ``ADD GENERATED ... AS IDENTITY (SEQUENCE NAME ...)`` makes it with the
source's name and options, so it keeps its name even when the table was renamed since. At
the end every copy gets the source's position, or the copied rows' maximum when they went
further (rows inserted with explicit ids), so the next insert cannot collide.
"""

from __future__ import annotations

from collections.abc import Mapping

from psycopg import sql
from psycopg.abc import AdaptContext

from .model import Catalog, Column, Relation, Sequence
from .script import Piece, Statement, in_target, qualified, statement

_INTEGER_TYPES = {"smallint", "integer", "bigint"}


def owning_column(catalog: Catalog, sequence: Sequence) -> tuple[Relation, Column] | None:
    """The table column the sequence belongs to, when it is one of the schema's tables."""
    if sequence.owner_table is None or sequence.owner_column is None:
        return None
    table = catalog.relations_by_oid.get(sequence.owner_table)
    if table is None or table.kind != "r":
        return None
    column = catalog.column(table.oid, sequence.owner_column)
    return None if column is None else (table, column)


def identity_clauses(catalog: Catalog) -> Mapping[tuple[int, int], list[Piece]]:
    """``(SEQUENCE NAME ... options)`` for each identity column, by (table oid, attnum)."""
    clauses: dict[tuple[int, int], list[Piece]] = {}
    for sequence in catalog.sequences:
        owner = owning_column(catalog, sequence)
        if sequence.ownership == "i" and owner is not None:
            table, column = owner
            clauses[(table.oid, column.attnum)] = [
                "(SEQUENCE NAME ", *in_target(sequence.name), *_options(sequence), ")"
            ]
    return clauses


def render_sequences(
    catalog: Catalog, history_table: str, context: AdaptContext | None = None
) -> list[Statement]:
    """Creation, ownership and the final position of each sequence. ``context`` quotes the
    name ``setval`` receives as text."""
    statements: list[Statement] = []
    for sequence in catalog.sequences:
        owner = owning_column(catalog, sequence)
        if sequence.ownership != "i" or owner is None:
            statements.append(
                statement(
                    "early",
                    "CREATE UNLOGGED SEQUENCE " if sequence.unlogged else "CREATE SEQUENCE ",
                    *in_target(sequence.name),
                    " AS " + sequence.type,
                    *_options(sequence),
                )
            )
        if owner is not None and sequence.ownership == "a":
            table, column = owner
            statements.append(
                statement(
                    "after_tables",
                    "ALTER SEQUENCE ",
                    *in_target(sequence.name),
                    " OWNED BY ",
                    *in_target(table.name),
                    sql.SQL(".{}").format(sql.Identifier(column.name)),
                )
            )
        statements += _reset(catalog.source, sequence, owner, history_table, context)
    return statements


def _options(sequence: Sequence) -> list[Piece]:
    return [
        sql.SQL(" INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} ").format(
            *(
                sql.Literal(value)
                for value in (
                    sequence.increment,
                    sequence.minimum,
                    sequence.maximum,
                    sequence.start,
                    sequence.cache,
                )
            )
        ),
        "CYCLE" if sequence.cycle else "NO CYCLE",
    ]


def _reset(
    source: str,
    sequence: Sequence,
    owner: tuple[Relation, Column] | None,
    history_table: str,
    context: AdaptContext | None,
) -> list[Statement]:
    """A clone with rows moves every sequence; a bare clone only the migration history's,
    the one table whose rows it copies."""
    target_seq = sql.Literal(sql.Identifier(sequence.name).as_string(context))
    source_seq = qualified(source, sequence.name)
    pieces: list[Piece]
    if owner is not None and sequence.increment > 0 and owner[1].base_type in _INTEGER_TYPES:
        table, column = owner
        pieces = [
            sql.SQL(
                "SELECT pg_catalog.setval({seq}, GREATEST(s.last_value, m.top), "
                "s.is_called OR coalesce(m.top >= s.last_value, false)) "
                "FROM {src} s, (SELECT max({col}) AS top FROM "
            ).format(seq=target_seq, src=source_seq, col=sql.Identifier(column.name)),
            *in_target(table.name),
            ") m",
        ]
    else:
        pieces = [
            sql.SQL("SELECT pg_catalog.setval({}, s.last_value, s.is_called) FROM {} s").format(
                target_seq, source_seq
            )
        ]
    statements = [statement("reset_data", *pieces)]
    if owner is not None and owner[0].name == history_table:
        statements.append(statement("reset_bare", *pieces))
    return statements
