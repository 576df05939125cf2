"""``restore DIR``: a ``backup`` directory into a freshly migrated database, all or nothing.

Order: the shared data (its ``Schema`` rows create their PostgreSQL schemas, cloned from the
template), then each schema's data. One transaction: any error leaves the database as
``migrate`` left it.
"""

from __future__ import annotations

import io
import os
from typing import Any

import psycopg
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils.translation import gettext as _

from ... import conf
from ...backup import SHARED, BackupError, read_manifest, schema_file
from ...commandutils import all_schema_names, checked_name, pg_schemas_present
from ...snapshot import SnapshotError, load_snapshot
from ...state import schema_context


class Command(BaseCommand):
    help = (
        "Restore a 'manage.py backup' directory into a freshly migrated database (run "
        "'manage.py migrate' first): the shared data, the schemas (cloned from the template) "
        "and each schema's data, in one transaction."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", help="A directory written by 'manage.py backup'.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        directory = options["directory"]
        try:
            manifest = read_manifest(directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        names = [checked_name(name) for name in manifest["schemas"]]
        self._refuse_unprepared(using, names)
        quiet = {"verbosity": 0, "stdout": io.StringIO(), "stderr": io.StringIO()}
        try:
            with transaction.atomic(using=using):
                call_command(
                    "loaddata",
                    os.path.abspath(os.path.join(directory, SHARED)),
                    create_schemas=True,
                    database=using,
                    **quiet,
                )
                restored = all_schema_names(using)
                if sorted(restored) != sorted(names):
                    raise CommandError(
                        _(
                            "The shared data holds other schemas (%(rows)s) than the manifest "
                            "(%(names)s)."
                        )
                        % {"rows": ", ".join(restored), "names": ", ".join(names)}
                    )
                for name in names:
                    path = schema_file(directory, name, manifest["tenant_format"])
                    if manifest["tenant_format"] == "snapshot":
                        load_snapshot(path, name, using=using)
                    else:
                        call_command(
                            "loaddata", os.path.abspath(path), schema=name, database=using, **quiet
                        )
        except (SnapshotError, DatabaseError, psycopg.Error) as exc:
            if options["traceback"]:
                raise
            raise CommandError(
                _("Nothing was restored: %(error)s") % {"error": str(exc).strip()}
            ) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(
                _("Restored the shared data and %(count)d schema(s) from %(dir)s.")
                % {"count": len(names), "dir": directory}
            )

    @staticmethod
    def _refuse_unprepared(using: str, names: list[str]) -> None:
        """Only a freshly migrated database: the template exists, and no schema, schema row
        or user does (the backup's would collide with them or silently overwrite them)."""
        template = conf.template_schema()
        if not pg_schemas_present(using, [template]):
            raise CommandError(
                _(
                    "The template schema %(name)r does not exist: run 'manage.py migrate' on "
                    "this database first."
                )
                % {"name": template}
            )
        with schema_context(None):
            rows = all_schema_names(using)
            users = get_user_model()._default_manager.db_manager(using).exists()
        taken = sorted(set(rows) | pg_schemas_present(using, names))
        if taken or users:
            raise CommandError(
                _(
                    "Restore goes into a freshly migrated, empty database; this one already has "
                    "%(what)s. Nothing was restored."
                )
                % {
                    "what": (_("schemas: %(names)s") % {"names": ", ".join(taken)})
                    if taken
                    else _("users")
                }
            )
