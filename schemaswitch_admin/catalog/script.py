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
    """The DDL that rebuilds a source schema, with holes where the target's name goes."""

    sections: Mapping[str, tuple[Part, ...]]

    @classmethod
    def build(
        cls, statements: Iterable[Statement], context: AdaptContext | None
    ) -> CloneScript:
        """Render the statements' composables for ``context`` (the connection whose quoting
        rules apply) and keep them per section, in the order given."""
        # Per section, the finished parts and the text since the last hole: joined once, as
        # a template of thousands of tables makes sections of megabytes.
        sections: dict[str, tuple[list[Part], list[str]]] = {
            name: ([], []) for name, _runs in SECTIONS
        }
        for one in statements:
            parts, text = sections[one.section]
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
        for parts, text in sections.values():
            if text:
                parts.append("".join(text))
        return cls(
            MappingProxyType({name: tuple(parts) for name, (parts, _text) in sections.items()})
        )

    def compose(self, target: str, *, with_data: bool) -> sql.Composed:
        """The script for ``target``; the name is quoted by ``sql.Identifier``."""
        skip = BARE if with_data else DATA
        hole = sql.Identifier(target)
        return sql.Composed(
            [
                hole if isinstance(part, _Target) else sql.SQL(part)
                for name, runs in SECTIONS
                if runs != skip
                for part in self.sections[name]
            ]
        )


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


def alter_table(section: str, table: str, actions: list[list[Piece]]) -> list[Statement]:
    """One ``ALTER TABLE`` carrying every action (PostgreSQL then rewrites or scans the table
    once), or nothing when there is no action."""
    if not actions:
        return []
    pieces: list[Piece] = ["ALTER TABLE ", *in_target(table), " "]
    for position, action in enumerate(actions):
        if position:
            pieces.append(", ")
        pieces += action
    return [Statement(section, tuple(pieces))]
