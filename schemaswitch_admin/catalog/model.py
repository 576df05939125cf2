"""The source schema's catalog as plain, immutable data.

Reading and rendering meet here: ``reading`` fills these records from PostgreSQL in a fixed
number of statements, the ``render_*`` modules turn them into the clone script. Keeping the
data free of cursors and SQL composition is what lets the ordering and rendering be tested by
building a catalog by hand, without a server, and lets one read serve every clone.

Fields keep the catalog's own one-letter codes (``pg_class.relkind``, ``pg_attribute.
attidentity``...) so the data says what PostgreSQL said; the renderers own the SQL words.
Definitions are PostgreSQL's own deparsed text, printed while only the source schema was on
``search_path``, so the source's objects appear unqualified.

Records are named tuples, held by one frozen ``Catalog``: as immutable as frozen dataclasses
and about five times cheaper to build, which counts when a read makes one per column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple


class Column(NamedTuple):
    """A column of a table, view or materialized view (``pg_attribute``)."""

    attnum: int
    name: str
    #: ``format_type`` with the modifier (``character varying(20)``).
    type: str
    #: ``format_type`` without it (``character varying``).
    base_type: str
    not_null: bool = False
    #: The name of the not-null constraint, on servers that name them (PostgreSQL 18).
    not_null_name: str | None = None
    #: ``attidentity``: ``""``, ``"a"`` (ALWAYS) or ``"d"`` (BY DEFAULT).
    identity: str = ""
    #: ``attgenerated``: ``""``, ``"s"`` (STORED) or ``"v"`` (VIRTUAL).
    generated: str = ""
    #: The default, or the generation expression of a generated column.
    expression: str | None = None
    #: (schema, name) of a collation other than the type's.
    collation: tuple[str, str] | None = None
    #: ``attstorage`` when it differs from the type's: ``p``, ``e``, ``m`` or ``x``.
    storage: str | None = None
    #: ``attcompression``: ``p`` (pglz), ``l`` (lz4) or ``None`` (the default).
    compression: str | None = None
    #: The type (or array element type) is defined in the source schema itself.
    own_type: bool = False


class Relation(NamedTuple):
    """A table, view, materialized view, sequence or index (``pg_class``)."""

    oid: int
    name: str
    #: ``relkind``: ``r``, ``v``, ``m``, ``S`` or ``i``.
    kind: str
    unlogged: bool = False
    #: A materialized view holds rows (``relispopulated``).
    populated: bool = True
    #: Storage parameters (``reloptions``), as (name, value).
    options: tuple[tuple[str, str], ...] = ()
    #: ``pg_get_viewdef`` of a view or materialized view.
    definition: str | None = None
    columns: tuple[Column, ...] = ()


class Constraint(NamedTuple):
    """A constraint of a table (``pg_constraint``), in ``pg_get_constraintdef`` text."""

    oid: int
    name: str
    #: ``contype``: ``p``, ``u``, ``x``, ``c``, ``f``; ``n`` (not null) and ``t`` (constraint
    #: trigger) come with the columns and the triggers and are kept for their comments.
    kind: str
    table: int
    definition: str
    validated: bool = True
    #: Foreign keys: the referenced table; keys and foreign keys: the unique index they are
    #: (``conindid``) or rely on.
    referenced: int = 0
    key_index: int = 0


class EnumType(NamedTuple):
    """An enum type defined in the source schema, its labels in sort order."""

    oid: int
    name: str
    labels: tuple[str, ...]


class FunctionSetting(NamedTuple):
    """One ``SET`` clause of a function (``proconfig`` stores ``name=value``)."""

    name: str
    value: str
    #: For ``search_path``: the schemas PostgreSQL itself splits the value into.
    path: tuple[str, ...] | None = None


class Function(NamedTuple):
    """A function, procedure or window function (``pg_proc``)."""

    oid: int
    name: str
    #: ``prokind``: ``f``, ``p`` (procedure) or ``w`` (window).
    kind: str
    language: str
    #: ``pg_get_function_arguments``, with defaults.
    arguments: str
    #: ``pg_get_function_identity_arguments``, what names the function in ``COMMENT ON``.
    identity_arguments: str
    #: ``pg_get_function_result``.
    result: str
    #: ``provolatile``: ``i``, ``s`` or ``v``.
    volatility: str = "v"
    strict: bool = False
    security_definer: bool = False
    leakproof: bool = False
    #: ``proparallel``: ``s``, ``r`` or ``u``.
    parallel: str = "u"
    cost: float = 100.0
    returns_set: bool = False
    rows: float = 0.0
    settings: tuple[FunctionSetting, ...] = ()
    #: ``prosrc``: the body, or the C symbol of a C function.
    source: str = ""
    #: ``probin``: the library of a C function.
    binary: str | None = None
    #: ``pg_get_function_sqlbody`` of a function written with a SQL-standard body.
    sql_body: str | None = None
    #: Its signature uses a row type of the schema: ``"table"``, or ``"view"`` when any of
    #: them is a view's or materialized view's; ``None`` when it uses none.
    uses_row_type: str | None = None


class Sequence(NamedTuple):
    """A sequence (``pg_sequence``) and what owns it, if anything."""

    oid: int
    name: str
    #: ``format_type`` of the sequence's type (``bigint``).
    type: str
    start: int
    increment: int
    minimum: int
    maximum: int
    cache: int
    cycle: bool = False
    unlogged: bool = False
    #: ``deptype`` of its dependency on a column: ``a`` (``OWNED BY``, serials), ``i``
    #: (identity) or ``None``.
    ownership: str | None = None
    owner_table: int | None = None
    owner_column: int | None = None


class Index(NamedTuple):
    """An index that no constraint owns, as ``pg_get_indexdef`` prints it."""

    oid: int
    table: int
    definition: str


class Trigger(NamedTuple):
    """A user trigger (``pg_get_triggerdef``) and its firing state (``tgenabled``)."""

    oid: int
    name: str
    table: int
    definition: str
    #: ``O`` (origin, the default), ``D``, ``R`` or ``A``.
    state: str = "O"


class Rule(NamedTuple):
    """A rewrite rule other than a view's own (``pg_get_ruledef``)."""

    oid: int
    name: str
    table: int
    definition: str


class Comment(NamedTuple):
    """A comment on an object of the schema (``pg_description``)."""

    #: The catalog the object lives in: ``pg_class``, ``pg_constraint``, ``pg_proc``...
    catalog: str
    oid: int
    #: The column number for a comment on a column, else 0.
    subid: int
    text: str


@dataclass(frozen=True)
class Catalog:
    """Everything the clone script is made from, each kind in the order it was read (oid
    order, which is creation order unless oids wrapped around)."""

    source: str
    relations: tuple[Relation, ...] = ()
    #: Keys and checks first (primary, unique, exclusion, check), then the rest, by oid.
    constraints: tuple[Constraint, ...] = ()
    types: tuple[EnumType, ...] = ()
    functions: tuple[Function, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    #: (view, relation) pairs: the view's query reads that relation.
    view_references: tuple[tuple[int, int], ...] = ()
    indexes: tuple[Index, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    rules: tuple[Rule, ...] = ()
    comments: tuple[Comment, ...] = ()

    @cached_property
    def relations_by_oid(self) -> Mapping[int, Relation]:
        return MappingProxyType({relation.oid: relation for relation in self.relations})

    def column(self, table: int, attnum: int) -> Column | None:
        """Column ``attnum`` of relation ``table``, if both are in the schema."""
        return self._columns.get((table, attnum))

    @cached_property
    def _columns(self) -> Mapping[tuple[int, int], Column]:
        return MappingProxyType(
            {(r.oid, c.attnum): c for r in self.relations for c in r.columns}
        )

    def of_kind(self, *kinds: str) -> tuple[Relation, ...]:
        """The relations of these ``relkind`` values, in catalog order."""
        return tuple(r for r in self.relations if r.kind in kinds)

    def constraints_of(self, table: int) -> tuple[Constraint, ...]:
        """The keys, checks and foreign keys of ``table``, keys and checks first."""
        return self._constraints_by_table.get(table, ())

    @cached_property
    def _constraints_by_table(self) -> Mapping[int, tuple[Constraint, ...]]:
        found: dict[int, list[Constraint]] = {}
        for constraint in self.constraints:
            if constraint.kind in ("p", "u", "x", "c", "f"):
                found.setdefault(constraint.table, []).append(constraint)
        return MappingProxyType({table: tuple(cons) for table, cons in found.items()})
