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


def is_distributed(cursor: Any, namespace: int) -> bool:
    """Whether the schema with oid ``namespace`` is a Citus distributed schema."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_schema "
        "WHERE schemaid = %s::oid::regnamespace)",
        [namespace],
    )
    return bool(cursor.fetchone()[0])


def citus_placement(cursor: Any, namespace: int) -> list[sql.Composable]:
    """The settings a clone of schema ``namespace`` runs under on a Citus coordinator."""
    distributed = is_distributed(cursor, namespace)
    return [
        sql.SQL("SET LOCAL {} TO {}").format(
            sql.Identifier(*SHARDING.split(".")), sql.SQL("on" if distributed else "off")
        ),
        sql.SQL("SET LOCAL {} TO on").format(sql.Identifier(*UNSAFE_TRIGGERS.split("."))),
    ]
