"""What the Citus coordinator knows: whether Citus is there, which schemas are distributed,
on which node each lives and how big it is across the cluster.

Each function is one statement over a list of names, so callers that work in batches
(``list_schemas``) pay per batch, not per schema. None of them is called on plain PostgreSQL,
where the ``pg_dist_*`` catalogs do not exist: callers ask ``has_citus`` first.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

#: A schema's node, from its colocation group's first shard placement. A distributed schema
#: without tables has no placement yet, hence no node.
_NODES_SQL = """
SELECT ns.nspname,
       (SELECT n.nodename || ':' || n.nodeport
        FROM pg_catalog.pg_dist_partition p
        JOIN pg_catalog.pg_dist_shard sh ON sh.logicalrelid = p.logicalrelid
        JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = sh.shardid
        JOIN pg_catalog.pg_dist_node n ON n.groupid = pl.groupid
        WHERE p.colocationid = s.colocationid
          AND n.noderole = 'primary' AND n.isactive
        ORDER BY sh.shardid LIMIT 1)
FROM pg_catalog.pg_dist_schema s
JOIN pg_catalog.pg_namespace ns ON ns.oid = s.schemaid
WHERE ns.nspname = ANY(%s)
"""


def has_citus(using: str = "default") -> bool:
    """Whether the database has the Citus extension."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus')"
        )
        return bool(cursor.fetchone()[0])


def schema_nodes(cursor: Any, names: list[str]) -> dict[str, str | None]:
    """``host:port`` of the node holding each distributed schema of ``names`` (None for a
    distributed schema with no table yet); schemas that are not distributed are absent."""
    if not names:
        return {}
    # Matched by nspname, never by ``regnamespace::text``, which quotes keywords ("user").
    cursor.execute(_NODES_SQL, [names])
    return dict(cursor.fetchall())


def schema_sizes(cursor: Any, names: list[str]) -> dict[str, int]:
    """Bytes of each distributed schema's shards on the workers (with indexes and TOAST)."""
    if not names:
        return {}
    cursor.execute(
        "SELECT ns.nspname, COALESCE(SUM(css.size), 0)::bigint "
        "FROM pg_catalog.citus_shard_sizes() css(shard_id, size) "
        "JOIN pg_catalog.pg_dist_shard ds ON ds.shardid = css.shard_id "
        "JOIN pg_catalog.pg_class c ON c.oid = ds.logicalrelid "
        "JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace "
        "WHERE ns.nspname = ANY(%s) "
        "GROUP BY ns.nspname",
        [names],
    )
    return dict(cursor.fetchall())


def active_nodes(cursor: Any) -> list[tuple[str, int, bool]]:
    """(host, port, is_coordinator) of each active primary node."""
    cursor.execute(
        "SELECT nodename, nodeport, groupid = 0 FROM pg_catalog.pg_dist_node "
        "WHERE isactive AND noderole = 'primary' ORDER BY groupid"
    )
    return [(host, port, coordinator) for host, port, coordinator in cursor.fetchall()]
