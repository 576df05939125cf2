"""``clone_schema SOURCE NEW``: a new schema with the structure (and optionally the rows) of
an existing one, e.g. to try a data fix on a copy or to seed a demo tenant."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from ... import conf
from ...commandutils import checked_name, existing_schema, refuse_existing
from ...schema_model import get_schema_model


class Command(BaseCommand):
    help = (
        "Create schema NEW (row and PostgreSQL schema) as a copy of SOURCE's tables; "
        "--with-data copies the rows too. SOURCE may be the template (structure only). "
        "Memberships are not copied."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", help="Existing schema to copy.")
        parser.add_argument("new", help="Name of the schema to create.")
        parser.add_argument("--with-data", action="store_true", help="Copy the rows too.")
        parser.add_argument("--display-name", default="", help="Human-readable name of NEW.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        source, new = options["source"], options["new"]
        existing_schema(source, using, allow_template=True)
        if source == conf.template_schema() and options["with_data"]:
            raise CommandError(
                _("The template holds no tenant data; drop --with-data to clone its structure.")
            )
        checked_name(new)
        refuse_existing(new, using)
        try:
            get_schema_model().objects.db_manager(using).create_schema(
                new,
                display_name=options["display_name"],
                source=source,
                with_data=options["with_data"],
            )
        except Exception as exc:
            if options["traceback"]:
                raise
            raise CommandError(
                _("Schema %(name)r was not created: %(error)s") % {"name": new, "error": exc}
            ) from exc
        if options["verbosity"] >= 1:
            what = _("structure and data") if options["with_data"] else _("structure")
            self.stdout.write(
                self.style.SUCCESS(
                    _("Created schema %(new)s from %(source)s (%(what)s).")
                    % {"new": new, "source": source, "what": what}
                )
            )
