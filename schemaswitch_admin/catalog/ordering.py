"""Which object of the script must come before which.

Order is what most easily breaks a clone (a statement refused for naming something not
created yet), so the decisions about it live here, apart from the SQL text. The sections of
``script.SECTIONS`` give the coarse order (types, functions and sequences before the tables;
sequence ownership, indexes, foreign keys and triggers after them); this module decides the
rest: tables after the tables their foreign keys reference, and which keys a bare clone may
therefore declare inline; views after the views they read; functions whose signatures use a
table's or a view's row type after those.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from graphlib import CycleError, TopologicalSorter

from .model import Catalog, Function, Relation


class Stage(IntEnum):
    """When a function can be created: before the tables, or after the tables (a table's
    row type in its signature), or after the views (a view's)."""

    EARLY = 0
    AFTER_TABLES = 1
    AFTER_VIEWS = 2


def function_stage(function: Function) -> Stage:
    if function.uses_row_type == "view":
        return Stage.AFTER_VIEWS
    if function.uses_row_type == "table":
        return Stage.AFTER_TABLES
    return Stage.EARLY


@dataclass(frozen=True)
class TableOrder:
    """The tables in the order a bare clone creates them, and the constraints (by oid) it
    declares inside ``CREATE TABLE``; the others are added after the tables."""

    tables: tuple[Relation, ...]
    inline: frozenset[int]


def bare_table_order(catalog: Catalog) -> TableOrder:
    """Each table after the tables its foreign keys reference (creation order when the
    references form a cycle).

    Keys and checks go inline unless they may call a function created after the tables; a
    foreign key goes inline when its table and key exist by then (or it references its own
    table), and only valid ones: PostgreSQL marks every constraint declared in ``CREATE
    TABLE`` valid.
    """
    tables = {t.oid: t for t in catalog.of_kind("r")}
    may_call_late = any(function_stage(f) is not Stage.EARLY for f in catalog.functions)
    key_index: dict[int, int] = {}
    for relid in tables:
        for con in catalog.constraints_of(relid):
            if con.kind in ("p", "u"):
                key_index[con.key_index] = relid
    graph = {
        relid: {
            con.referenced
            for con in catalog.constraints_of(relid)
            if con.kind == "f" and con.referenced in tables and con.referenced != relid
        }
        for relid in tables
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError:
        order = list(tables)
    inline: set[int] = set()
    created: set[int] = set()
    for relid in order:
        for con in catalog.constraints_of(relid):
            if con.kind in ("p", "u"):
                declared = True
            elif con.kind in ("x", "c"):
                declared = con.validated and not may_call_late
            else:
                declared = con.validated and (
                    con.referenced not in tables
                    or (
                        key_index.get(con.key_index) == con.referenced
                        and (con.referenced == relid or con.referenced in created)
                    )
                )
            if declared:
                inline.add(con.oid)
        created.add(relid)
    return TableOrder(tuple(tables[relid] for relid in order), frozenset(inline))


def view_order(catalog: Catalog) -> tuple[Relation, ...]:
    """Views and materialized views, each after the ones its query reads."""
    views = {r.oid: r for r in catalog.of_kind("v", "m")}
    graph: dict[int, set[int]] = {oid: set() for oid in views}
    for view, referenced in catalog.view_references:
        if view in graph and referenced in views:
            graph[view].add(referenced)
    return tuple(views[oid] for oid in TopologicalSorter(graph).static_order())
