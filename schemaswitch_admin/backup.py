"""The layout of a whole-database backup, shared by the ``backup`` and ``restore`` commands.

A backup directory holds ``manifest.json`` (the schemas, how their data is stored), the shared
data as a fixture (``shared.json``) and one file per schema under ``schemas/``: a fixture
(``<schema>.json``, portable) or a COPY snapshot (``<schema>.tar``, fast).

The shared fixture refers to content types and permissions by natural key and leaves them out
(``migrate`` creates them on the new database, with ids of its own) but keeps every other
primary key: users keep their ids, so sessions, tenant rows and snapshots that point at them
stay right.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.utils.translation import gettext as _

FORMAT = "schemaswitch-backup"
VERSION = 1
MANIFEST = "manifest.json"
SHARED = "shared.json"
SCHEMAS = "schemas"
#: Shared models that ``migrate`` creates itself; the backup refers to them by natural key.
RECREATED_BY_MIGRATE = ("contenttypes", "auth.permission")


class BackupError(Exception):
    """The directory is not a backup this version can restore; the message says why."""


def schema_file(directory: str, name: str, tenant_format: str) -> str:
    suffix = "tar" if tenant_format == "snapshot" else "json"
    return os.path.join(directory, SCHEMAS, f"{name}.{suffix}")


def write_manifest(directory: str, schemas: list[str], tenant_format: str) -> None:
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "schemas": schemas,
        "tenant_format": tenant_format,
    }
    with open(os.path.join(directory, MANIFEST), "w") as out:
        json.dump(manifest, out, indent=1)


def read_manifest(directory: str) -> dict[str, Any]:
    """The manifest, checked: known format, and every file it promises present."""
    path = os.path.join(directory, MANIFEST)
    try:
        with open(path) as source:
            manifest: dict[str, Any] = json.load(source)
    except (OSError, ValueError) as exc:
        raise BackupError(
            _("%(dir)r is not a backup directory (no readable %(file)s: %(error)s).")
            % {"dir": directory, "file": MANIFEST, "error": exc}
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(
            _("%(dir)r holds a backup this version cannot read.") % {"dir": directory}
        )
    missing = [
        path
        for path in [
            os.path.join(directory, SHARED),
            *(schema_file(directory, n, manifest["tenant_format"]) for n in manifest["schemas"]),
        ]
        if not os.path.isfile(path)
    ]
    if missing:
        raise BackupError(
            _("The backup in %(dir)r is incomplete; missing: %(files)s.")
            % {"dir": directory, "files": ", ".join(missing)}
        )
    return manifest
