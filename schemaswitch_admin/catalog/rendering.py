"""The whole clone script from a ``model.Catalog``: each kind's renderer, in script order.

Statements land in their sections (``script.SECTIONS``) in the order given here, which is
what this module decides: within a section, types before functions before sequences ("early"),
sequence ownership before the functions that need the tables ("after_tables"), views before
the functions that need them ("views"), triggers before rules before comments ("finish").
"""

from __future__ import annotations

from psycopg.abc import AdaptContext

from .model import Catalog
from .ordering import Stage, bare_table_order, view_order
from .render_comments import render_comments
from .render_constraints import render_foreign_keys
from .render_functions import render_functions
from .render_indexes import render_indexes
from .render_rules import render_rules
from .render_sequences import identity_clauses, render_sequences
from .render_tables import render_table_alterations, render_tables
from .render_triggers import render_triggers
from .render_types import render_types
from .render_views import render_views
from .script import TARGET, CloneScript, Statement, statement


def render_script(
    catalog: Catalog,
    history_table: str,
    context: AdaptContext | None = None,
    *,
    citus: bool = False,
) -> CloneScript:
    """The script rebuilding ``catalog``'s schema; ``history_table`` names the migration
    history, the one table whose rows every clone copies; ``context`` gives the quoting
    rules of the connection that will run it.

    ``citus`` writes it in the form a Citus coordinator accepts for a distributed schema:
    one command per query string, each added constraint in an ``ALTER TABLE`` of its own,
    and sequence positions set after reading the tables' maxima. Plain PostgreSQL gets the
    one-round-trip form.
    """
    tables = bare_table_order(catalog)
    identities = identity_clauses(catalog)
    statements: list[Statement] = [
        statement("head", "CREATE SCHEMA ", TARGET),
        statement("head", "SET LOCAL search_path TO ", TARGET),
        # As pg_dump does: bodies may name objects created later in the script.
        statement("head", "SET LOCAL check_function_bodies TO off"),
        *render_types(catalog),
        *render_functions(catalog, Stage.EARLY),
        *render_sequences(catalog, history_table, context, read_first=citus),
        *render_tables(catalog, tables, history_table, identities),
        *render_functions(catalog, Stage.AFTER_TABLES),
        *render_table_alterations(catalog, tables, alone=citus),
        *render_views(view_order(catalog)),
        *render_functions(catalog, Stage.AFTER_VIEWS),
        *render_indexes(catalog),
        *render_foreign_keys(catalog, tables, alone=citus),
        *render_triggers(catalog),
        *render_rules(catalog),
        *render_comments(catalog),
    ]
    return CloneScript.build(statements, context, separate=citus)
