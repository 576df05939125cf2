"""Sequences: created, owned, made into identities, and moved to the source's position.

A sequence owned by a column (a serial) is created before the tables, since the column's
default names it, and tied to its column once the tables exist. An identity sequence is not
created on its own: the column's ``GENERATED ... AS IDENTITY (SEQUENCE NAME ...)`` in ``CREATE
TABLE`` makes it with the source's name (unqualified: PostgreSQL puts it in the table's
schema) and options, so it keeps its name even when the table was renamed since. At
the end every copy gets the source's position, or the copied rows' maximum when they went
further (rows inserted with explicit ids), so the next insert cannot collide. On Citus the
maximum is read first, in a statement of its own: a statement reading a distributed table is
sent whole to the worker holding it, where the sequence does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping

from psycopg import sql
from psycopg.abc import AdaptContext

from .model import Catalog, Column, Relation, Sequence
from .script import TARGET, Piece, Statement, in_target, qualified, statement

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


def identity_clauses(catalog: Catalog) -> Mapping[tuple[int, int], sql.Composable]:
    """``(SEQUENCE NAME ... options)`` for each identity column, by (table oid, attnum)."""
    clauses: dict[tuple[int, int], sql.Composable] = {}
    for sequence in catalog.sequences:
        owner = owning_column(catalog, sequence)
        if sequence.ownership == "i" and owner is not None:
            table, column = owner
            clauses[(table.oid, column.attnum)] = sql.SQL("(SEQUENCE NAME {}{})").format(
                sql.Identifier(sequence.name), _options(sequence)
            )
    return clauses


def render_sequences(
    catalog: Catalog,
    history_table: str,
    context: AdaptContext | None = None,
    *,
    read_first: bool = False,
) -> list[Statement]:
    """Creation, ownership and the final position of each sequence. ``context`` quotes the
    name ``setval`` receives as text; ``read_first`` reads each table's maximum before the
    ``setval`` (Citus)."""
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
                    _options(sequence),
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
        statements += _reset(
            catalog.source, sequence, owner, history_table, context, read_first=read_first
        )
    return statements


def _options(sequence: Sequence) -> sql.Composable:
    return sql.SQL(" INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}").format(
        *(
            sql.Literal(value)
            for value in (
                sequence.increment,
                sequence.minimum,
                sequence.maximum,
                sequence.start,
                sequence.cache,
            )
        ),
        sql.SQL("CYCLE" if sequence.cycle else "NO CYCLE"),
    )


def _reset(
    source: str,
    sequence: Sequence,
    owner: tuple[Relation, Column] | None,
    history_table: str,
    context: AdaptContext | None,
    *,
    read_first: bool,
) -> list[Statement]:
    """A clone with rows moves every sequence; a bare clone only the migration history's,
    the one table whose rows it copies."""
    target_seq = sql.Literal(sql.Identifier(sequence.name).as_string(context))
    source_seq = qualified(source, sequence.name)
    pieces: list[Piece]
    if owner is not None and sequence.increment > 0 and owner[1].base_type in _INTEGER_TYPES:
        table, column = owner
        if read_first:
            pieces = _read_first_reset(target_seq, source_seq, table, column, context)
        else:
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


def _read_first_reset(
    target_seq: sql.Composable,
    source_seq: sql.Composable,
    table: Relation,
    column: Column,
    context: AdaptContext | None,
) -> list[Piece]:
    """The same reset as one anonymous block: its first statement reads the maximum (Citus
    runs it on the worker holding the table), its second moves the sequence on the node the
    block runs on."""
    read = sql.SQL("SELECT max({}) INTO top FROM ").format(sql.Identifier(column.name))
    move = sql.SQL(
        "; PERFORM pg_catalog.setval({seq}, GREATEST(s.last_value, top), "
        "s.is_called OR coalesce(top >= s.last_value, false)) FROM {src} s; END "
    ).format(seq=target_seq, src=source_seq)
    body = [read.as_string(context), sql.Identifier(table.name).as_string(context),
            move.as_string(context)]  # fmt: skip
    # The body is quoted with dollars; the tag must not occur in the names it holds (the
    # target's name, filled in later, is a validated identifier without "$").
    tag, number = "$reset$", 0
    while any(tag in part for part in body):
        number += 1
        tag = f"$reset{number}$"
    # A column named "top" would be ambiguous with the variable: the column wins in the
    # query, the variable is the only "top" the PERFORM can mean (a sequence has no such
    # column).
    return [
        f"DO {tag} #variable_conflict use_column\nDECLARE top bigint; BEGIN ",
        body[0],
        TARGET,
        "." + body[1],
        body[2],
        tag,
    ]
