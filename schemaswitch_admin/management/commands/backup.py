"""``backup DIR``: the shared data and every schema's data, from one consistent snapshot."""

from __future__ import annotations

import io
import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from ...backup import RECREATED_BY_MIGRATE, SCHEMAS, SHARED, schema_file, write_manifest
from ...commandutils import all_schema_names, refuse_missing
from ...fixtures import read_snapshot
from ...snapshot import save_snapshot


class Command(BaseCommand):
    help = (
        "Back up the whole database into a new directory: the shared data as a fixture "
        "(content types and permissions by natural key), and each schema's private data as "
        "a fixture, or with --snapshots as a COPY snapshot (much faster for big schemas). "
        "Everything is read from one consistent snapshot. Restore with 'manage.py restore "
        "DIR' on a freshly migrated database."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", help="Where to write the backup (new or empty).")
        parser.add_argument(
            "--snapshots",
            action="store_true",
            help="Store each schema's data as a COPY snapshot instead of a JSON fixture.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        directory = options["directory"]
        if os.path.exists(directory) and (not os.path.isdir(directory) or os.listdir(directory)):
            raise CommandError(
                _("%(dir)r exists and is not an empty directory; back up into a new one.")
                % {"dir": directory}
            )
        tenant_format = "snapshot" if options["snapshots"] else "json"
        os.makedirs(os.path.join(directory, SCHEMAS), exist_ok=True)
        quiet = {"verbosity": 0, "stdout": io.StringIO(), "stderr": io.StringIO()}
        with read_snapshot(using):
            names = all_schema_names(using)
            refuse_missing(using, names)
            call_command(
                "dumpdata",
                exclude=list(RECREATED_BY_MIGRATE),
                use_natural_foreign_keys=True,
                output=os.path.join(directory, SHARED),
                database=using,
                **quiet,
            )
            for name in names:
                path = schema_file(directory, name, tenant_format)
                if tenant_format == "snapshot":
                    save_snapshot(name, path, using=using)
                else:
                    call_command(
                        "dumpdata",
                        schema=name,
                        use_natural_foreign_keys=True,
                        output=path,
                        database=using,
                        **quiet,
                    )
                if options["verbosity"] >= 2:
                    self.stdout.write(_("Schema %(name)s: %(path)s") % {"name": name, "path": path})
        write_manifest(directory, names, tenant_format)
        if options["verbosity"] >= 1:
            self.stdout.write(
                _("Backed up the shared data and %(count)d schema(s) into %(dir)s.")
                % {"count": len(names), "dir": directory}
            )
