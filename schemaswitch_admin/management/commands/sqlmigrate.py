"""``sqlmigrate`` that prints the SQL a migration runs where it really runs.

The router lets a private app's operations run only inside a schema, so in ``public`` Django's
command prints nothing useful for them. A private app needs ``--schema NAME`` (any schema, the
template included: the statements are the same in every schema, unqualified).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.sqlmigrate import Command as DjangoSqlmigrate
from django.utils.translation import gettext as _

from ...commandutils import app_lives_in, existing_schema, requested_schema
from ...state import schema_context


class Command(DjangoSqlmigrate):
    help = (
        "Prints the SQL statements for the named migration. A private app's migrations run "
        "in each schema: give --schema NAME (the template's name works)."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--schema",
            metavar="NAME",
            help="Show the SQL as it runs in this schema (needed for private apps).",
        )

    def handle(self, *args: Any, **options: Any) -> str | None:
        options.setdefault("schema", None)
        schema, ours = requested_schema(options)
        if not ours:
            return super().handle(*args, **options)
        places = app_lives_in(options["app_label"])
        if schema is None and "public" not in places:
            raise CommandError(
                _(
                    "%(app)s is a private app: its migrations run in each schema, not in "
                    "'public'. Add --schema NAME (e.g. --schema %(template)s)."
                )
                % {"app": options["app_label"], "template": _template()}
            )
        if schema is not None:
            existing_schema(schema, options["database"], allow_template=True)
            if "schema" not in places:
                raise CommandError(
                    _("%(app)s is a shared app, migrated once in 'public': leave out --schema.")
                    % {"app": options["app_label"]}
                )
        with schema_context(schema):
            return super().handle(*args, **options)


def _template() -> str:
    from ... import conf

    return conf.template_schema()
