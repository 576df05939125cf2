"""``move_schema NAME --node HOST:PORT``: move a distributed schema to another Citus node.

A wrapper of ``citus_schema_move`` that checks its input first: the schema is one of the
project's (or the template) and distributed, and the node is an active node of the cluster.
Open connections and logged-in users keep working while it moves (Citus copies the shards,
then switches over)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from ...citus.cluster import active_nodes, schema_nodes
from ...citus.setup import CitusMissing, require_citus
from ...commandutils import existing_schema

TRANSFER_MODES = ("auto", "force_logical", "block_writes")


def parse_node(value: str) -> tuple[str, int]:
    """``HOST:PORT`` as Citus registers nodes; an IPv6 address may be written in brackets."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--node must be HOST:PORT (a port from 1 to 65535), not {value!r}.")
    return host, int(port)


class Command(BaseCommand):
    help = (
        "Move a distributed schema (a tenant, whole) to another node of the Citus cluster. "
        "The node is given as HOST:PORT, as registered on the coordinator."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="Schema to move.")
        parser.add_argument("--node", required=True, metavar="HOST:PORT", help="Target node.")
        parser.add_argument(
            "--transfer-mode",
            choices=TRANSFER_MODES,
            default="auto",
            help="How Citus copies the shards (citus_schema_move's shard_transfer_mode): "
            "auto (logical replication when every table has a replica identity, else "
            "refuse), force_logical, or block_writes (writes wait while it copies).",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        host, port = parse_node(options["node"])
        with connections[using].cursor() as cursor:
            try:
                require_citus(cursor)
            except CitusMissing as exc:
                raise CommandError(str(exc)) from None
        name = existing_schema(options["name"], using, allow_template=True)
        with connections[using].cursor() as cursor:
            nodes = {(h, p) for h, p, _coordinator in active_nodes(cursor)}
            if (host, port) not in nodes:
                known = ", ".join(f"{h}:{p}" for h, p in sorted(nodes)) or "none"
                raise CommandError(
                    f"{host}:{port} is not an active node of the cluster (nodes: {known})."
                )
            placed = schema_nodes(cursor, [name])
            if name not in placed:
                raise CommandError(
                    f"Schema {name} is not a distributed schema: run manage.py citus_setup."
                )
            current = placed[name]
            if current == f"{host}:{port}":
                self.stdout.write(f"Schema {name} is already on {current}; nothing to do.")
                return
            if current is None:
                raise CommandError(f"Schema {name} has no tables yet, so nothing to move.")
            started = time.perf_counter()
            try:
                cursor.execute(
                    "SELECT pg_catalog.citus_schema_move(oid::regnamespace, %s, %s, "
                    "%s::citus.shard_transfer_mode) FROM pg_catalog.pg_namespace "
                    "WHERE nspname = %s",
                    [host, port, options["transfer_mode"], name],
                )
            except DatabaseError as exc:
                raise CommandError(
                    f"Citus did not move schema {name}: {str(exc).strip()}"
                ) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Moved schema {name} from {current} to {host}:{port} "
                f"in {time.perf_counter() - started:.1f}s."
            )
