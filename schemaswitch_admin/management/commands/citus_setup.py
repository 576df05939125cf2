"""``citus_setup``: turn a migrated database on a Citus coordinator into one whose tenant
schemas are distributed. Safe to re-run: each step looks at the cluster before it acts, and
a second run reports that nothing was left to do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from ... import conf
from ...citus.checks import model_problems
from ...citus.setup import (
    CitusMissing,
    SetupReport,
    distribute_schemas,
    make_reference_tables,
    require_citus,
    schemas_to_distribute,
    set_database_parameters,
    setup_refusal,
)


class Command(BaseCommand):
    help = (
        "Set up Citus schema-based sharding for this project: shared tables that private "
        "models reference become reference tables (their sequences kept), the database "
        "distributes new schemas, and the template and every schema are distributed. "
        "Run after migrate, on the coordinator; safe to run again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        verbosity = options["verbosity"]
        say = self.stdout.write if verbosity >= 1 else (lambda text: None)
        connection = connections[using]
        with connection.cursor() as cursor:
            try:
                version = require_citus(cursor)
            except CitusMissing as exc:
                raise CommandError(str(exc)) from None
            refusal = setup_refusal(cursor)
            if refusal:
                raise CommandError(refusal + " Nothing was changed.")
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s)",
                [conf.template_schema()],
            )
            if not cursor.fetchone()[0]:
                raise CommandError(
                    f"The template schema {conf.template_schema()} does not exist yet: run "
                    "manage.py migrate first."
                )
        errors = [m for m in model_problems() if m.level >= checks.ERROR]
        if errors:
            raise CommandError(
                "Citus cannot hold these models; nothing was changed:\n"
                + "\n".join(f"  {m.id}: {m.msg} HINT: {m.hint}" for m in errors)
            )
        report = SetupReport()
        say(self.style.MIGRATE_HEADING(f"Citus {version}: reference tables"))
        with self._step("making reference tables"):
            make_reference_tables(using, report, lambda text: say(f"  {text}"))
        if report.sequences_restored:
            say(f"  sequences restored: {', '.join(report.sequences_restored)}")
        if not report.reference_tables:
            say(f"  nothing to do ({len(report.already_reference)} already reference tables)")
        say(self.style.MIGRATE_HEADING("Database settings"))
        with self._step("setting the database's parameters"):
            set_database_parameters(using, report)
        say(
            "  " + (
                "set " + ", ".join(report.settings_changed)
                if report.settings_changed else "nothing to do"
            )
        )  # fmt: skip
        names = schemas_to_distribute(using)
        width = len(str(len(names)))
        say(self.style.MIGRATE_HEADING(f"Schemas ({len(names)}):"))
        started = time.perf_counter()

        def progress(done: int, total: int, name: str, outcome: str) -> None:
            if verbosity >= 1:
                style = self.style.ERROR if outcome.startswith("FAILED") else (lambda t: t)
                self.stdout.write(style(f"  [{done:>{width}}/{total}] {name}: {outcome}"))

        distribute_schemas(using, names, report, progress)
        say(
            f"Schemas: {len(report.distributed)} distributed, "
            f"{len(report.already_distributed)} already distributed, "
            f"{len(report.failed)} failed, {len(names)} in all "
            f"({time.perf_counter() - started:.1f}s)."
        )
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} schema(s) could not be distributed: "
                + ", ".join(sorted(report.failed))
            )

    @contextmanager
    def _step(self, what: str) -> Iterator[None]:
        """A database error in a step becomes a ``CommandError`` that says which step failed;
        each step commits on its own, so what earlier steps did stays, and a re-run goes on
        from there."""
        try:
            yield
        except DatabaseError as exc:
            raise CommandError(
                f"Failed while {what}: {str(exc).strip()} (earlier steps are kept; fix the "
                "cause and run citus_setup again)."
            ) from exc
