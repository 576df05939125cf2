"""``list_schemas``: every schema with its members, size on disk and migration state.

The cost does not grow with the number of schemas in queries: one query for the rows and
member counts, one for all sizes, and the migration histories in batches
(``migrating.read_histories``), compared with the migration graph loaded once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.models import Count
from django.utils.translation import gettext as _

from ...migrating import History, read_histories
from ...schema_model import get_schema_model


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


def schema_inventory(using: str) -> list[SchemaInfo]:
    Schema = get_schema_model()
    rows = list(
        Schema.objects.using(using)
        .annotate(member_count=Count("memberships"))
        .order_by("name")
        .values_list("name", "display_name", "is_active", "member_count")
    )
    names = [row[0] for row in rows]
    sizes = sizes_on_disk(using, names)
    histories = read_histories(using, names) if names else {}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    pending_by_history: dict[History, int] = {}
    result = []
    for name, display_name, is_active, members in rows:
        history = histories.get(name)
        pending = 0
        if history is not None:
            if history not in pending_by_history:
                pending_by_history[history] = pending_count(history, loader)
            pending = pending_by_history[history]
        result.append(
            SchemaInfo(
                name=name,
                display_name=display_name,
                is_active=is_active,
                members=members,
                exists=history is not None,
                size_bytes=sizes.get(name, 0),
                migrations_applied=len(history) if history is not None else 0,
                migrations_pending=pending,
            )
        )
    return result


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
        "state (applied migrations in the schema, and how many of the project's are not)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=("table", "json"), default="table")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        infos = schema_inventory(options["database"])
        if options["format"] == "json":
            self.stdout.write(json.dumps([asdict(i) for i in infos], indent=2))
            return
        self._table(infos)

    def _table(self, infos: list[SchemaInfo]) -> None:
        header = [
            _("NAME"),
            _("DISPLAY NAME"),
            _("ACTIVE"),
            _("MEMBERS"),
            _("SIZE"),
            _("MIGRATIONS"),
        ]
        lines = [header]
        for info in infos:
            if not info.exists:
                state = _("PostgreSQL schema missing")
            elif info.migrations_pending:
                state = _("%(applied)d applied, %(pending)d pending") % {
                    "applied": info.migrations_applied,
                    "pending": info.migrations_pending,
                }
            else:
                state = _("%(applied)d applied, up to date") % {"applied": info.migrations_applied}
            lines.append(
                [
                    info.name,
                    info.display_name,
                    _("yes") if info.is_active else _("no"),
                    str(info.members),
                    human_size(info.size_bytes),
                    state,
                ]
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        for line in lines:
            cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
        if not infos:
            self.stdout.write(_("No schemas."))
