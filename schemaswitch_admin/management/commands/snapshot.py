"""``snapshot save|load|show``: one tenant's private data, fast, with PostgreSQL's COPY.

See ``schemaswitch_admin.snapshot`` for the file and what loading checks. Fixtures
(``dumpdata``/``loaddata``) stay the portable format; a snapshot is the fast one.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils.translation import gettext as _

from ...commandutils import checked_name, existing_schema, refuse_existing
from ...schema_model import get_schema_model
from ...snapshot import SnapshotError, load_snapshot, read_manifest, save_snapshot


class Command(BaseCommand):
    help = (
        "Fast per-schema backup with PostgreSQL's COPY. 'snapshot save NAME FILE' writes "
        "schema NAME's tables to FILE (.tar, .tar.gz or .tgz), read from one consistent "
        "snapshot; 'snapshot load FILE NAME' loads it into the existing, empty schema NAME "
        "(--create: a new schema cloned from the template), in one transaction, sequences "
        "reset; 'snapshot show FILE' describes a file."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )
        actions = parser.add_subparsers(dest="action", required=True, metavar="save|load|show")
        save = actions.add_parser("save", help="Write one schema's data to a file.")
        save.add_argument("name", help="The schema to save.")
        save.add_argument("file", help="The snapshot file (.tar, .tar.gz or .tgz).")
        load = actions.add_parser("load", help="Load a file into an empty schema.")
        load.add_argument("file", help="The snapshot file.")
        load.add_argument("name", help="The schema to load into.")
        load.add_argument(
            "--create",
            action="store_true",
            help="Create the schema first (row and PostgreSQL schema, cloned from the "
            "template), in the same transaction.",
        )
        load.add_argument(
            "--display-name", default="", help="Display name of the schema --create makes."
        )
        show = actions.add_parser("show", help="Describe a snapshot file.")
        show.add_argument("file", help="The snapshot file.")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        started = time.perf_counter()
        try:
            if options["action"] == "save":
                name = existing_schema(options["name"], using)
                summary = save_snapshot(name, options["file"], using=using)
                verb = _("Saved")
            elif options["action"] == "load":
                summary = self._load(options, using)
                verb = _("Loaded")
            else:
                self._show(options["file"])
                return
        except SnapshotError as exc:
            raise CommandError(str(exc)) from exc
        except (DatabaseError, psycopg.Error) as exc:
            if options["traceback"]:
                raise
            raise CommandError(
                _("Nothing was changed: %(error)s") % {"error": str(exc).strip()}
            ) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(
                _("%(verb)s %(rows)d row(s) of %(tables)d table(s), schema %(name)s, in %(s).2fs.")
                % {
                    "verb": verb,
                    "rows": summary.rows,
                    "tables": summary.tables,
                    "name": summary.schema,
                    "s": time.perf_counter() - started,
                }
            )

    def _load(self, options: dict[str, Any], using: str) -> Any:
        name = options["name"]
        read_manifest(options["file"])  # an unreadable file is refused before anything
        if not options["create"]:
            checked_name(name)
            existing_schema(name, using)
            return load_snapshot(options["file"], name, using=using)
        checked_name(name)
        refuse_existing(name, using)
        with transaction.atomic(using=using):
            get_schema_model().objects.db_manager(using).create_schema(
                name, display_name=options["display_name"]
            )
            return load_snapshot(options["file"], name, using=using)

    def _show(self, path: str) -> None:
        manifest = read_manifest(path)
        self.stdout.write(
            _("Schema %(schema)s, saved %(created)s from PostgreSQL %(version)s:")
            % {
                "schema": manifest["schema"],
                "created": manifest["created"],
                "version": manifest["server_version"],
            }
        )
        for table in manifest["tables"]:
            self.stdout.write(f"  {table['name']}: {table['rows']}")
