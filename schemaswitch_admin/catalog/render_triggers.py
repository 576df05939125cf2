"""Triggers, from ``pg_get_triggerdef``, with their firing state.

They come last, after the rows, so copying fires nothing, and after every function they may
call. ``pg_get_triggerdef`` does not print whether a trigger is disabled or fires on
replicas, so that is a separate ``ALTER TABLE``.
"""

from __future__ import annotations

from psycopg import sql

from .model import Catalog
from .script import Statement, in_target, statement

_STATE = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def render_triggers(catalog: Catalog) -> list[Statement]:
    statements: list[Statement] = []
    for trigger in catalog.triggers:
        statements.append(statement("finish", trigger.definition))
        if trigger.state in _STATE:
            statements.append(
                statement(
                    "finish",
                    "ALTER TABLE ",
                    *in_target(catalog.relations_by_oid[trigger.table].name),
                    sql.SQL(" {} TRIGGER {}").format(
                        sql.SQL(_STATE[trigger.state]), sql.Identifier(trigger.name)
                    ),
                )
            )
    return statements
