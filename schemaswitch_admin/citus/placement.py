"""Where a new schema goes on Citus: distributed when its source is, local when it is not.

A copy follows its source so that a clone never mixes a distributed schema's foreign keys
with local tables. The settings are ``SET LOCAL``: they end with the clone's transaction and
do not depend on what the database's defaults are.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

#: Distributed tables refuse triggers unless this is on; the trigger functions a project
#: writes run on the worker holding the table, which is what a schema-per-tenant app wants.
UNSAFE_TRIGGERS = "citus.enable_unsafe_triggers"
SHARDING = "citus.enable_schema_based_sharding"


def _set_local(parameter: str, value: str) -> sql.Composable:
    return sql.SQL("SET LOCAL {} TO {}").format(
        sql.Identifier(*parameter.split(".")), sql.Literal(value)
    )


def citus_placement(
    cursor: Any, namespace: int
) -> tuple[list[sql.Composable], list[sql.Composable]]:
    """The settings a clone of schema ``namespace`` runs under on a Citus coordinator, and
    the statements that put the caller's values back after it (the clone runs inside the
    caller's transaction, whose later statements must not inherit them)."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_schema "
        "WHERE schemaid = %s::oid), "
        "pg_catalog.current_setting(%s), pg_catalog.current_setting(%s)",
        [namespace, SHARDING, UNSAFE_TRIGGERS],
    )
    distributed, sharding, triggers = cursor.fetchone()
    apply = [
        _set_local(SHARDING, "on" if distributed else "off"),
        _set_local(UNSAFE_TRIGGERS, "on"),
    ]
    restore = [_set_local(SHARDING, sharding), _set_local(UNSAFE_TRIGGERS, triggers)]
    return apply, restore
