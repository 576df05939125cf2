"""``drop_schema NAME``: delete a schema's data for good, only after an explicit yes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from ... import conf
from ...commandutils import checked_name
from ...schema_model import get_schema_model


def table_count(using: str, name: str) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            [name],
        )
        (count,) = cursor.fetchone()
        return int(count)


class Command(BaseCommand):
    help = (
        "Drop a schema with all its data, its row and its memberships. Asks you to type the "
        "schema name unless --yes is given; with --noinput and no --yes it refuses. "
        "'public' and the template are never dropped."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="Schema to drop.")
        parser.add_argument("--yes", action="store_true", help="Drop without asking.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Never prompt; without --yes the command then refuses.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        name = options["name"]
        if name in (conf.SHARED_SCHEMA, conf.template_schema()):
            raise CommandError(
                _("%(name)r is never dropped: it holds what every schema needs.") % {"name": name}
            )
        checked_name(name)
        schema = get_schema_model().objects.using(using).filter(name=name).first()
        if schema is None:
            raise CommandError(_("Unknown schema %(name)r.") % {"name": name})
        if not options["yes"]:
            self._confirm(name, using, options["interactive"])
        try:
            schema.drop(using=using)
        except Exception as exc:
            if options["traceback"]:
                raise
            raise CommandError(
                _("Schema %(name)r was not dropped: %(error)s") % {"name": name, "error": exc}
            ) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(_("Dropped schema %(name)s.") % {"name": name}))

    def _confirm(self, name: str, using: str, interactive: bool) -> None:
        if not interactive:
            raise CommandError(
                _("Refusing to drop %(name)r without --yes when input is off.") % {"name": name}
            )
        self.stdout.write(
            _("This drops schema %(name)s, its %(tables)d table(s) and all their rows.")
            % {"name": name, "tables": table_count(using, name)}
        )
        try:
            answer = input(_("Type the schema name to confirm: "))
        except EOFError:
            answer = ""
        if answer.strip() != name:
            raise CommandError(_("Not confirmed; nothing was dropped."))
