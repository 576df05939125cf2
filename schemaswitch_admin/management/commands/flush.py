"""``flush`` that empties whole things: the database, one schema, or every schema's data.

Django's own command empties the tables the router lets it see where it runs. With no schema
active that is ``public`` alone, and its ``TRUNCATE ... CASCADE`` then reaches into every
tenant table with a foreign-key path to a shared table (users, content types) while leaving
the others full, and deletes every ``Schema`` row while the PostgreSQL schemas stay. So:

* ``flush`` (no schema): empties ``public`` **and drops every tenant schema that has a row**,
  in one transaction; rows and schemas disappear together. The template schema is left as it
  is (it holds no tenant data).
* ``flush --schema NAME`` (or under ``run_in_schema NAME``): empties that schema's private
  tables; ``public`` and the other schemas are untouched.
* ``flush --all-schemas``: empties every tenant schema's private tables and keeps the schemas,
  their rows and ``public``.

Each form runs in one transaction: on any error nothing is emptied or dropped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections, transaction
from django.utils.translation import gettext as _
from psycopg import sql

from ... import conf
from ...commandutils import (
    all_schema_names,
    existing_schema,
    pg_schemas_present,
    refuse_missing,
    requested_schema,
)
from ...exceptions import InvalidSchemaName
from ...schema_model import get_schema_model
from ...state import schema_context
from ...validation import validate_schema_name

#: Schemas other than public and the template with a foreign key into public.
_STRANGERS_SQL = """
SELECT DISTINCT n.nspname
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class p ON p.oid = k.confrelid
WHERE k.contype = 'f' AND p.relnamespace = 'public'::regnamespace
  AND n.nspname NOT IN ('public', %(template)s)
ORDER BY 1
"""


class Command(DjangoFlushCommand):
    help = (
        "Removes ALL DATA from the database: empties the shared tables in 'public' and drops "
        "every tenant schema (row and PostgreSQL schema, with its data) in one transaction; "
        "the template schema stays. --schema NAME empties one schema's private tables only "
        "(as 'run_in_schema NAME flush' does); --all-schemas empties every tenant schema's "
        "private tables and keeps the schemas and 'public'."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--schema",
            metavar="NAME",
            help="Empty this schema's private tables only (default: the active schema, e.g. "
            "under run_in_schema; none on a plain command line).",
        )
        where.add_argument(
            "--all-schemas",
            action="store_true",
            help="Empty the private tables of every tenant schema; keep the schemas, their "
            "rows and the shared data.",
        )

    def handle(self, **options: Any) -> None:
        options.setdefault("schema", None)
        options.setdefault("all_schemas", False)
        using = options["database"]
        schema, ours = requested_schema(options)
        if not ours:
            return super().handle(**options)
        if options["all_schemas"]:
            return self._flush_every_schema(options)
        if schema is not None:
            return self._flush_one_schema(schema, options)
        return self._flush_database(using, options)

    # -- the three forms -----------------------------------------------------------------

    def _flush_one_schema(self, schema: str, options: dict[str, Any]) -> None:
        using = options["database"]
        existing_schema(schema, using, allow_template=True)
        prompt = _(
            "This will IRREVERSIBLY DESTROY the private data of schema %(schema)r in the "
            "%(db)r database (shared data in 'public' and other schemas are not touched)."
        ) % {"schema": schema, "db": self._db_name(using)}
        if not self._confirmed(prompt, options):
            return
        with transaction.atomic(using=using), schema_context(schema):
            self._run_deferred_checks(using)
            super().handle(**{**options, "interactive": False})

    def _flush_every_schema(self, options: dict[str, Any]) -> None:
        using = options["database"]
        names = all_schema_names(using)
        refuse_missing(using, names)
        if not names:
            if options["verbosity"] >= 1:
                self.stdout.write(_("No schemas: nothing to flush."))
            return
        prompt = _(
            "This will IRREVERSIBLY DESTROY the private data of %(count)d schema(s) in the "
            "%(db)r database: %(names)s. The schemas, their rows and the shared data in "
            "'public' stay."
        ) % {"count": len(names), "db": self._db_name(using), "names": ", ".join(names)}
        if not self._confirmed(prompt, options):
            return
        with transaction.atomic(using=using):
            if self._lock_schema_rows(using) != names:
                raise CommandError(_("Schemas were created or removed meanwhile; run again."))
            self._run_deferred_checks(using)
            for name in names:
                with schema_context(name):
                    super().handle(**{**options, "interactive": False})
        if options["verbosity"] >= 1:
            self.stdout.write(_("Emptied %(count)d schema(s).") % {"count": len(names)})

    def _flush_database(self, using: str, options: dict[str, Any]) -> None:
        names = all_schema_names(using)
        prompt = _(
            "This will IRREVERSIBLY DESTROY all data currently in the %(db)r database: the "
            "shared tables in 'public' are emptied and %(count)d tenant schema(s) are dropped "
            "with all their data%(names)s. The template schema %(template)r keeps its "
            "tables, emptied."
        ) % {
            "db": self._db_name(using),
            "count": len(names),
            "names": (": " + ", ".join(names)) if names else "",
            "template": conf.template_schema(),
        }
        if not self._confirmed(prompt, options):
            return
        with transaction.atomic(using=using):
            if self._lock_schema_rows(using) != names:
                raise CommandError(_("Schemas were created or removed meanwhile; run again."))
            self._run_deferred_checks(using)
            self._drop_schemas(using, names)
            self._refuse_strangers(using)
            # The template is emptied whole: public's TRUNCATE ... CASCADE would otherwise
            # empty only its tables that point at shared ones. It holds no tenant data.
            template = conf.template_schema()
            if pg_schemas_present(using, [template]):
                with schema_context(template):
                    super().handle(
                        **{**options, "interactive": False, "inhibit_post_migrate": True}
                    )
            with schema_context(None):
                super().handle(**{**options, "interactive": False})
        if names and options["verbosity"] >= 1:
            self.stdout.write(
                _("Dropped %(count)d schema(s) and emptied 'public'.") % {"count": len(names)}
            )

    # -- helpers -------------------------------------------------------------------------

    def _confirmed(self, prompt: str, options: dict[str, Any]) -> bool:
        if not options["interactive"]:
            return True
        answer = input(
            prompt
            + "\n"
            + _("Are you sure you want to do this?")
            + "\n\n    "
            + _("Type 'yes' to continue, or 'no' to cancel: ")
        )
        if answer == "yes":
            return True
        self.stdout.write(_("Flush cancelled."))
        return False

    @staticmethod
    def _db_name(using: str) -> str:
        name: str = connections[using].settings_dict["NAME"]
        return name

    @staticmethod
    def _run_deferred_checks(using: str) -> None:
        """Rows written earlier in the caller's transaction may still have deferred
        foreign-key checks queued; PostgreSQL refuses to truncate or drop their tables until
        they ran (a violation would fail the commit anyway)."""
        with connections[using].cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    @staticmethod
    def _lock_schema_rows(using: str) -> list[str]:
        """Block creating, renaming and dropping schemas until the flush commits, and return
        the names as they are now (the caller compares them with what it announced)."""
        table = get_schema_model()._meta.db_table
        with schema_context(None), connections[using].cursor() as cursor:
            cursor.execute(
                sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(sql.Identifier(table))
            )
        return all_schema_names(using)

    @staticmethod
    def _refuse_strangers(using: str) -> None:
        """PostgreSQL schemas without a row are not ours to drop, but public's ``TRUNCATE
        ... CASCADE`` would empty those of their tables that point at shared tables and leave
        the others: refuse instead, naming them. (Run after our schemas were dropped.)"""
        with connections[using].cursor() as cursor:
            cursor.execute(_STRANGERS_SQL, {"template": conf.template_schema()})
            strangers = [row[0] for row in cursor.fetchall()]
        if strangers:
            raise CommandError(
                _(
                    "PostgreSQL schema(s) without a Schema row have tables that point at "
                    "shared tables: %(names)s. Flushing 'public' would empty those tables and "
                    "leave the rest of these schemas; nothing was flushed. Drop these schemas, "
                    "or give them rows, first."
                )
                % {"names": ", ".join(strangers)}
            )

    @staticmethod
    def _drop_schemas(using: str, names: list[str]) -> None:
        """One ``DROP SCHEMA`` for every row's schema. A row whose name is not a valid schema
        name (only possible through raw SQL) names no schema of ours: its schema, whatever it
        is (``public``!), is never dropped; the row goes with the shared data."""
        droppable = []
        for name in names:
            try:
                droppable.append(validate_schema_name(name))
            except InvalidSchemaName:
                continue
        if not droppable:
            return
        with connections[using].cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.SQL(", ").join(sql.Identifier(n) for n in droppable)
                )
            )
