"""``showmigrations`` that shows each history where it is kept.

Shared apps are migrated once, in ``public``; private apps have one history per schema. Without
a schema the command shows ``public``'s history of the shared apps only (``public`` also
records the private apps' migrations, but that record says nothing about any schema); with
``--schema NAME`` (or under ``run_in_schema``) it shows that schema's history of the private
apps.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.showmigrations import Command as DjangoShowmigrations
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from ...commandutils import app_lives_in, existing_schema, requested_schema
from ...state import schema_context


class Command(DjangoShowmigrations):
    help = (
        "Shows all available migrations for the current project. Without --schema: the "
        "shared apps' history in 'public'; with --schema NAME (or under run_in_schema): that "
        "schema's history of the private apps."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--schema",
            metavar="NAME",
            help="Show this schema's history of the private apps (the template's name works).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        options.setdefault("schema", None)
        schema, ours = requested_schema(options)
        if not ours:
            super().handle(*args, **options)
            return
        where = "public" if schema is None else "schema"
        if schema is not None:
            existing_schema(schema, options["database"], allow_template=True)
        labels = list(options["app_label"])
        wrong = sorted(label for label in labels if where not in app_lives_in(label))
        if wrong and where == "public":
            raise CommandError(
                _(
                    "Private apps have one migration history per schema, not one in 'public': "
                    "%(apps)s. Add --schema NAME."
                )
                % {"apps": ", ".join(wrong)}
            )
        if wrong:
            raise CommandError(
                _(
                    "Shared apps are migrated once, in 'public', not per schema: %(apps)s. "
                    "Leave out --schema to see their history."
                )
                % {"apps": ", ".join(wrong)}
            )
        if not labels:
            with schema_context(schema):
                migrated = MigrationLoader(None, ignore_no_migrations=True).migrated_apps
            labels = sorted(a for a in migrated if where in app_lives_in(a))
            left_out = sorted(a for a in migrated if where not in app_lives_in(a))
            if left_out and options["verbosity"] >= 1:
                note = (
                    _(
                        "Private apps left out (their history is per schema; add --schema "
                        "NAME): %(apps)s"
                    )
                    if where == "public"
                    else _("Shared apps left out (their history is in 'public'): %(apps)s")
                )
                self.stderr.write(note % {"apps": ", ".join(left_out)})
            if not labels:
                return None
        with schema_context(schema):
            super().handle(*args, **{**options, "app_label": labels})
