"""Reading one schema's catalog into a script that rebuilds the schema under another name.

The script never rewrites SQL text. Definitions come from PostgreSQL's own deparsers, read
while ``search_path`` holds only the source schema (``reading``), so the source's objects
are printed unqualified and resolve to the copies when the script runs with only the target
on the path. Statements the deparsers cannot give (tables, sequences, functions, comments)
are built from catalog columns with ``psycopg.sql`` (``render_*``). The target schema is a
hole in the script (``script.TARGET``), filled with ``sql.Identifier`` when a clone is made,
so one read serves every clone.

Order: types, functions, sequences, tables, [rows], defaults/identities/keys/checks, views
in dependency order, indexes, foreign keys, triggers, rules, comments, [sequence positions].
Rows go in before indexes, foreign keys and triggers, so they are loaded once, are never
refused for order, and fire nothing.

``reading`` -> ``model.Catalog`` (plain, immutable) -> ``rendering`` (with ``ordering`` and
one ``render_*`` module per kind of object) -> ``script.CloneScript``.
"""

from __future__ import annotations

from typing import Any

from psycopg.abc import AdaptContext

from .model import Catalog
from .reading import UnsupportedSchemaObject, read_catalog
from .rendering import render_script
from .script import TARGET, CloneScript

__all__ = [
    "TARGET",
    "Catalog",
    "CloneScript",
    "UnsupportedSchemaObject",
    "clone_script",
    "read_catalog",
    "render_script",
]


def clone_script(
    cursor: Any,
    source: str,
    namespace: int,
    history_table: str,
    context: AdaptContext | None,
    *,
    citus: bool = False,
) -> CloneScript:
    """Read schema ``source`` (oid ``namespace``) and render its clone script (in the Citus
    form with ``citus``).

    The cursor must be inside a transaction with ``search_path`` set to only the source
    schema; ``history_table`` names the migration history table.
    """
    return render_script(
        read_catalog(cursor, source, namespace, context), history_table, context, citus=citus
    )
