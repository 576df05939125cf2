"""``list_schemas``: every schema with its members, size on disk and migration state.

Built for 10,000 schemas. The schemas are read a batch at a time (``migrating.BATCH_SIZE``,
by name) and each batch is printed before the next is read, so the first lines come at once
and memory is bounded by the batch. A batch costs four statements whatever its size: the
rows with their member counts, the sizes, and the migration histories
(``migrating.read_histories``), compared with the migration graph loaded once. Batching is
also what keeps PostgreSQL's lock table whole: measuring a table's size or reading its
history locks it until the statement's transaction ends, and one statement over every
table of 10,000 schemas would need more locks than ``max_locks_per_transaction`` allows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Length
from django.utils.translation import gettext as _

from ...citus.cluster import active_nodes, has_citus, schema_nodes, schema_sizes
from ...migrating import BATCH_SIZE, History, read_histories
from ...models import Membership
from ...schema_model import get_schema_model

#: Widest text ``human_size`` produces ("1023.9 MB").
SIZE_WIDTH = 9


@dataclass
class SchemaInfo:
    name: str
    display_name: str
    is_active: bool
    members: int
    exists: bool
    size_bytes: int
    migrations_applied: int
    migrations_pending: int
    #: On Citus, the ``host:port`` of the node holding the schema (None elsewhere, or for a
    #: schema that is not distributed).
    node: str | None = None


def sizes_on_disk(using: str, names: list[str]) -> dict[str, int]:
    """Bytes used by each schema's tables and materialized views, with their indexes and
    TOAST data, in one query."""
    if not names:
        return {}
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint "
            "FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid "
            "AND c.relkind IN ('r', 'p', 'm') WHERE n.nspname = ANY(%s) GROUP BY n.nspname",
            [names],
        )
        return dict(cursor.fetchall())


def pending_count(history: History, loader: MigrationLoader) -> int:
    """Migrations of the project's graph that ``history`` lacks; a squashed migration counts
    as applied when everything it replaces is."""
    pending = 0
    for key in loader.graph.nodes:
        if key in history:
            continue
        replaces = getattr(loader.graph.nodes[key], "replaces", None) or []
        if replaces and all(tuple(r) in history for r in replaces):
            continue
        pending += 1
    return pending


def glob_regex(pattern: str) -> str:
    """A shell-style pattern (``*``, ``?``) as an anchored regular expression for
    PostgreSQL; every other character stands for itself."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char.isalnum() or char == "_":
            parts.append(char)
        else:
            parts.append("\\" + char)
    return "^" + "".join(parts) + "$"


def selected_schemas(
    using: str, *, active: bool | None = None, patterns: list[str] | None = None
) -> QuerySet[Any]:
    """The schema rows to list, by name: all, or those matching ``active`` and any of
    ``patterns``."""
    queryset = get_schema_model().objects.using(using).order_by("name")
    if active is not None:
        queryset = queryset.filter(is_active=active)
    if patterns:
        wanted = Q()
        for pattern in patterns:
            wanted |= Q(name__regex=glob_regex(pattern))
        queryset = queryset.filter(wanted)
    return queryset


def _member_counts() -> Coalesce:
    members = (
        Membership.objects.filter(schema=OuterRef("pk"))
        .order_by()
        .values("schema")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(members), Value(0))


def schema_inventory(
    using: str,
    queryset: QuerySet[Any] | None = None,
    batch_size: int = BATCH_SIZE,
    *,
    citus: bool | None = None,
) -> Iterator[SchemaInfo]:
    """Each schema of ``queryset`` (every schema by default), in name order, a batch at a
    time: four statements per ``batch_size`` schemas, none per schema (on Citus, two more
    per batch for the nodes and the shards' sizes). ``citus`` says whether the database has
    Citus (asked of it when not given)."""
    if queryset is None:
        queryset = selected_schemas(using)
    rows_of = queryset.annotate(member_count=_member_counts()).values_list(
        "name", "display_name", "is_active", "member_count"
    )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    if citus is None:
        citus = has_citus(using)
    pending_by_history: dict[History, int] = {}
    after = None
    while True:
        batch_rows = rows_of if after is None else rows_of.filter(name__gt=after)
        rows = list(batch_rows[:batch_size])
        if not rows:
            return
        names = [row[0] for row in rows]
        sizes = sizes_on_disk(using, names)
        nodes: dict[str, str | None] = {}
        if citus:
            # On Citus the rows are on the workers: their shards' sizes, and the node.
            with connections[using].cursor() as cursor:
                nodes = schema_nodes(cursor, names)
                for name, size in schema_sizes(cursor, names).items():
                    sizes[name] = sizes.get(name, 0) + size
        histories = read_histories(using, names)
        for name, display_name, is_active, members in rows:
            history = histories.get(name)
            pending = 0
            if history is not None:
                if history not in pending_by_history:
                    pending_by_history[history] = pending_count(history, loader)
                pending = pending_by_history[history]
            yield SchemaInfo(
                name=name,
                display_name=display_name,
                is_active=is_active,
                members=members,
                exists=history is not None,
                size_bytes=sizes.get(name, 0),
                migrations_applied=len(history) if history is not None else 0,
                migrations_pending=pending,
                node=nodes.get(name),
            )
        if len(rows) < batch_size:
            return
        after = names[-1]


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - the loop always returns


class Command(BaseCommand):
    help = (
        "List schemas: name, display name, active, member count, size on disk and migration "
        "state (applied migrations in the schema, and how many of the project's are not). "
        "Lines are printed as the schemas are read, a batch at a time."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=("table", "json"), default="table")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )
        state = parser.add_mutually_exclusive_group()
        state.add_argument(
            "--active",
            action="store_const",
            const=True,
            dest="active",
            help="Only active schemas.",
        )
        state.add_argument(
            "--inactive",
            action="store_const",
            const=False,
            dest="active",
            help="Only deactivated schemas.",
        )
        parser.add_argument(
            "--name",
            action="append",
            dest="patterns",
            metavar="PATTERN",
            help="Only schemas whose name matches PATTERN (shell style: * and ?); "
            "may be given several times.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        queryset = selected_schemas(using, active=options["active"], patterns=options["patterns"])
        citus = has_citus(using)
        infos = schema_inventory(using, queryset, citus=citus)
        if options["format"] == "json":
            self._json(infos, citus)
        else:
            self._table(queryset, infos, citus)

    def _json(self, infos: Iterator[SchemaInfo], citus: bool) -> None:
        """The same text as ``json.dumps(list, indent=2)``, one schema at a time; the
        ``node`` key only on Citus, so the output elsewhere is what it always was."""
        opened = False
        encoder = json.JSONEncoder(indent=2)
        for info in infos:
            # ``vars``, not ``asdict``: the fields are plain values, and ``asdict`` deep-copies
            # each (a third of the command's time over 10,000 schemas).
            fields = vars(info)
            if not citus:
                fields = {k: v for k, v in fields.items() if k != "node"}
            item = encoder.encode(fields).replace("\n", "\n  ")
            self.stdout.write(("[\n  " if not opened else ",\n  ") + item, ending="")
            opened = True
        self.stdout.write("\n]" if opened else "[]")

    def _table(self, queryset: QuerySet[Any], infos: Iterator[SchemaInfo], citus: bool) -> None:
        header = [
            _("NAME"),
            _("DISPLAY NAME"),
            _("ACTIVE"),
            _("MEMBERS"),
            _("SIZE"),
            _("MIGRATIONS"),
        ]
        # Lines go out before the last schema is read, so the text columns are as wide as
        # their longest value, asked of PostgreSQL first (one statement).
        longest = queryset.order_by().aggregate(
            name=Coalesce(Max(Length("name")), 0),
            display_name=Coalesce(Max(Length("display_name")), 0),
        )
        widths = [
            max(len(header[0]), longest["name"]),
            max(len(header[1]), longest["display_name"]),
            max(len(header[2]), len(_("yes")), len(_("no"))),
            len(header[3]),
            max(len(header[4]), SIZE_WIDTH),
            0,
        ]
        if citus:
            # The node goes before the migration state, the one column of free width, as
            # wide as the longest node name of the cluster.
            with connections[queryset.db].cursor() as cursor:
                longest_node = max(
                    (len(f"{host}:{port}") for host, port, _c in active_nodes(cursor)),
                    default=0,
                )
            header.insert(5, _("NODE"))
            widths.insert(5, max(len(header[5]), len(_("(local)")), longest_node))
        self._line(header, widths)
        listed = False
        for info in infos:
            listed = True
            if not info.exists:
                state = _("PostgreSQL schema missing")
            elif info.migrations_pending:
                state = _("%(applied)d applied, %(pending)d pending") % {
                    "applied": info.migrations_applied,
                    "pending": info.migrations_pending,
                }
            else:
                state = _("%(applied)d applied, up to date") % {"applied": info.migrations_applied}
            cells = [
                info.name,
                info.display_name,
                _("yes") if info.is_active else _("no"),
                str(info.members),
                human_size(info.size_bytes),
                state,
            ]
            if citus:
                cells.insert(5, info.node or _("(local)"))
            self._line(cells, widths)
        if not listed:
            self.stdout.write(_("No schemas."))

    def _line(self, cells: list[str], widths: list[int]) -> None:
        text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        self.stdout.write(text.rstrip())
