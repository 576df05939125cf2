"""The clone script: statements sorted into sections, with holes for the target's name.

One read of the source serves every clone, so the script is kept with the target schema left
open (``TARGET``) and filled with ``sql.Identifier`` when a clone is made. A clone with rows
and one without run different sections of the same script: a bare clone declares keys, checks
and foreign keys in ``CREATE TABLE`` (PostgreSQL then skips validating them, the tables being
new); a clone with rows adds them after the rows, so nothing is refused for row order and
indexes are built once.

The renderers return ``Statement`` values; ``CloneScript.build`` renders their composables
once, with the connection's quoting rules, and freezes the result, so a cached script can be
shared by every thread of the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from psycopg import sql
from psycopg.abc import AdaptContext


class _Target:
    """The type of ``TARGET``; one instance, compared by identity."""

    def __repr__(self) -> str:
        return "TARGET"


#: Placeholder for the target schema's quoted name inside a script.
TARGET: Final = _Target()

#: A rendered piece of a script: SQL text, or the hole for the target's name.
Part = str | _Target
#: A piece as renderers write it: composables are rendered when the script is built.
Piece = str | sql.Composable | _Target

#: Which clones run a section: all, those without rows ("bare"), those with rows ("data").
BOTH: Final = "both"
BARE: Final = "bare"
DATA: Final = "data"

#: Sections, in execution order.
SECTIONS: Final = (
    ("head", BOTH),
    ("early", BOTH),  # enums, functions, sequences
    ("tables_bare", BARE),
    ("tables_data", DATA),
    ("after_tables", BOTH),  # sequence ownership, functions using table row types
    ("rows", DATA),
    ("history", BARE),  # the migration history alone
    ("alter_bare", BARE),  # defaults, identities, what could not be declared inline
    ("alter_data", DATA),  # defaults, identities, keys and checks
    ("views", BOTH),  # views in dependency order, functions using view row types
    ("indexes", BOTH),
    ("fk_bare", BARE),
    ("fk_data", DATA),
    ("finish", BOTH),  # triggers, rules, comments
    ("reset_data", DATA),
    ("reset_bare", BARE),
)
_SECTION_NAMES: Final = frozenset(name for name, _runs in SECTIONS)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of the script and the section it runs in."""

    section: str
    pieces: tuple[Piece, ...]

    def __post_init__(self) -> None:
        if self.section not in _SECTION_NAMES:
            raise ValueError(f"unknown script section {self.section!r}")


def statement(section: str, *pieces: Piece) -> Statement:
    return Statement(section, pieces)


@dataclass(frozen=True)
class CloneScript:
    """The DDL that rebuilds a source schema, with holes where the target's name goes.

    Each section is a tuple of groups, each group sent as one query string: normally one
    group per section, so the whole script is one round trip; with ``separate`` one group per
    statement, for servers that need a query string to hold one command (Citus forwards the
    text of some DDL to its workers as it was received).
    """

    sections: Mapping[str, tuple[tuple[Part, ...], ...]]
    separate: bool = False

    @classmethod
    def build(
        cls,
        statements: Iterable[Statement],
        context: AdaptContext | None,
        *,
        separate: bool = False,
    ) -> CloneScript:
        """Render the statements' composables for ``context`` (the connection whose quoting
        rules apply) and keep them per section, in the order given."""
        # Per group, the finished parts and the text since the last hole: joined once, as
        # a template of thousands of tables makes sections of megabytes.
        sections: dict[str, list[tuple[list[Part], list[str]]]] = {
            name: [] for name, _runs in SECTIONS
        }
        for one in statements:
            groups = sections[one.section]
            if separate or not groups:
                groups.append(([], []))
            parts, text = groups[-1]
            for piece in one.pieces:
                if isinstance(piece, str):
                    text.append(piece)
                elif isinstance(piece, _Target):
                    if text:
                        parts.append("".join(text))
                        text.clear()
                    parts.append(piece)
                else:
                    text.append(piece.as_string(context))
            text.append(";\n")
        for groups in sections.values():
            for parts, text in groups:
                if text:
                    parts.append("".join(text))
        return cls(
            MappingProxyType(
                {
                    name: tuple(tuple(parts) for parts, _text in groups)
                    for name, groups in sections.items()
                }
            ),
            separate,
        )

    def compose(self, target: str, *, with_data: bool) -> sql.Composed:
        """The whole script for ``target``; the name is quoted by ``sql.Identifier``."""
        return sql.Composed(self.compose_each(target, with_data=with_data))

    def compose_each(self, target: str, *, with_data: bool) -> list[sql.Composed]:
        """The script for ``target`` as the query strings to send, in order."""
        skip = BARE if with_data else DATA
        hole = sql.Identifier(target)
        return [
            sql.Composed(
                [hole if isinstance(part, _Target) else sql.SQL(part) for part in group]
            )
            for name, runs in SECTIONS
            if runs != skip
            for group in self.sections[name]
        ]


def qualified(*names: str) -> sql.Composable:
    """``"schema"."name"``, each part quoted."""
    return sql.SQL(".").join(sql.Identifier(name) for name in names)


def in_target(name: str) -> tuple[Piece, Piece]:
    """``"<target>"."name"``, the target left as a hole."""
    return (TARGET, sql.SQL(".{}").format(sql.Identifier(name)))


def with_options(options: tuple[tuple[str, str], ...]) -> list[Piece]:
    """A ``WITH (name = 'value', ...)`` clause of storage parameters, or nothing."""
    if not options:
        return []
    return [
        " WITH (",
        sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(v)) for k, v in options
        ),
        ")",
    ]


def alter_table(
    section: str, table: str, actions: list[list[Piece]], *, alone: bool = False
) -> list[Statement]:
    """One ``ALTER TABLE`` carrying every action (PostgreSQL then rewrites or scans the table
    once), or nothing when there is none. With ``alone`` each action gets an ``ALTER TABLE``
    of its own, as Citus requires of ``ADD CONSTRAINT`` and of a default calling ``nextval``
    on a distributed table."""
    groups = [[one] for one in actions] if alone else [actions] if actions else []
    statements = []
    for group in groups:
        pieces: list[Piece] = ["ALTER TABLE ", *in_target(table), " "]
        for position, action in enumerate(group):
            if position:
                pieces.append(", ")
            pieces += action
        statements.append(Statement(section, tuple(pieces)))
    return statements
