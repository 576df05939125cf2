"""``migrate`` for shared and per-schema apps.

Order: ``public`` (shared apps, Django's own command, with its signals), then the template
schema, then every schema. ``--schema`` limits the run to the named schemas; ``--shared-only``
stops after ``public``. Positional ``app_label [migration_name]`` applies to every step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import connections
from psycopg import sql

from ... import conf
from ...exceptions import InvalidSchemaName
from ...migrating import SchemaMigrator, SchemaResult
from ...routers import uses_schemaswitch_backend
from ...schema_model import get_schema_model
from ...state import schema_context
from ...validation import validate_schema_name


class Command(DjangoMigrateCommand):
    help = (
        "Migrates shared apps in 'public', then the template schema, then every schema. "
        "Use --schema to migrate only some schemas, --shared-only for 'public' alone."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--schema",
            action="append",
            dest="schemas",
            metavar="NAME",
            help="Migrate only this schema (repeatable); skips 'public' and the template.",
        )
        parser.add_argument(
            "--shared-only",
            action="store_true",
            help="Migrate only the shared apps in 'public'.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            metavar="N",
            help="Migrate schemas over N database connections in parallel (default 1). "
            "Each schema still gets its own transactions and history.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = options["database"]
        if not uses_schemaswitch_backend(database):
            super().handle(*args, **options)
            return
        names = options.get("schemas") or []
        if names and options["shared_only"]:
            raise CommandError("--schema and --shared-only cannot be combined.")
        for name in names:
            try:
                validate_schema_name(name)
            except InvalidSchemaName as exc:
                raise CommandError(exc.messages[0]) from None
        self._check_jobs(database, options.get("jobs", 1))

        if not names:
            if options["verbosity"] >= 1:
                self.stdout.write(self.style.MIGRATE_HEADING("Shared apps (schema public):"))
            with schema_context(None):
                super().handle(*args, **options)
        if options["shared_only"]:
            return
        if options.get("prune"):
            raise CommandError("--prune works on 'public' only; combine it with --shared-only.")

        schemas = self._schemas_to_migrate(database, names)
        self._run_schemas(database, schemas, options)

    @staticmethod
    def _check_jobs(database: str, jobs: Any) -> None:
        """Refuse what parallel connections cannot do, before anything is migrated."""
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise CommandError(f"--jobs must be a whole number of at least 1, not {jobs!r}.")
        if jobs > 1 and connections[database].in_atomic_block:
            # The other connections cannot see this transaction's schemas and rows, and
            # their commits would not roll back with it.
            raise CommandError(
                "--jobs above 1 cannot run inside a transaction (atomic block); "
                "run migrate outside it or with --jobs 1."
            )

    def _schemas_to_migrate(self, database: str, names: list[str]) -> list[str]:
        Schema = get_schema_model()
        known = list(Schema.objects.using(database).order_by("name").values_list("name", flat=True))
        if names:
            unknown = sorted(set(names) - set(known))
            if unknown:
                raise CommandError("Unknown schema(s): " + ", ".join(unknown))
            return sorted(set(names))
        template = conf.template_schema()
        with connections[database].cursor() as cursor:
            # Looked up first: on Citus with schema-based sharding on, CREATE SCHEMA IF NOT
            # EXISTS on the existing template registers it as distributed while its tables
            # stay local, and the next migration of the template fails.
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s)",
                [template],
            )
            if not cursor.fetchone()[0]:
                # IF NOT EXISTS all the same: another migrate may create it meanwhile.
                cursor.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(template))
                )
        return [template, *known]

    def _targets_for(self, options: dict[str, Any]) -> Callable[[Any], list[Any]]:
        app_label = options.get("app_label")
        migration_name = options.get("migration_name")

        def targets(loader: Any) -> list[Any]:
            if app_label and migration_name:
                if migration_name == "zero":
                    return [(app_label, None)]
                migration = loader.get_migration_by_prefix(app_label, migration_name)
                return [(app_label, migration.name)]
            if app_label:
                return [key for key in loader.graph.leaf_nodes() if key[0] == app_label]
            leaves: list[Any] = loader.graph.leaf_nodes()
            return leaves

        return targets

    def _run_schemas(self, database: str, schemas: list[str], options: dict[str, Any]) -> None:
        verbosity = options["verbosity"]
        if verbosity >= 1:
            self.stdout.write(
                self.style.MIGRATE_HEADING(f"Schemas ({len(schemas)}, private apps):")
            )
        width = len(str(len(schemas)))

        def progress(done: int, total: int, result: SchemaResult) -> None:
            if verbosity < 1:
                return
            prefix = f"  [{done:>{width}}/{total}] {result.schema}: "
            if not result.ok:
                self.stdout.write(prefix + self.style.ERROR(f"FAILED {result.error}"))
            elif result.applied:
                # --plan and --check apply nothing: say what is pending, not "applied".
                if options["plan"]:
                    verb = "plan"
                elif options["check_unapplied"]:
                    verb = "unapplied"
                else:
                    verb = "applied"
                self.stdout.write(
                    prefix
                    + self.style.SUCCESS(f"{verb} {len(result.applied)}")
                    + f" ({result.seconds:.2f}s)"
                )
                if verbosity >= 2 or options["plan"]:
                    for name in result.applied:
                        self.stdout.write(f"      {name}")
            else:
                self.stdout.write(prefix + "up to date")

        plan_only = bool(options["plan"] or options["check_unapplied"])
        migrator = SchemaMigrator(
            database,
            self._targets_for(options),
            fake=options["fake"],
            fake_initial=options["fake_initial"],
            progress=progress,
            plan_only=plan_only,
            jobs=options.get("jobs", 1),
        )
        summary = migrator.run(schemas)
        failed = summary.failed
        if verbosity >= 1:
            pending = "with unapplied migrations" if plan_only else "migrated"
            self.stdout.write(
                f"Schemas: {len(summary.migrated)} {pending}, {len(summary.up_to_date)} up to "
                f"date, {len(failed)} failed, {len(summary.results)} in all."
            )
        if failed:
            raise CommandError(
                f"Migration failed in {len(failed)} schema(s): "
                + ", ".join(r.schema for r in failed)
                + ". Fix the cause and run migrate again; it resumes where each schema stopped."
            )
        if options["check_unapplied"] and summary.migrated:
            raise CommandError(
                "Unapplied migrations in schema(s): "
                + ", ".join(r.schema for r in summary.migrated)
            )
