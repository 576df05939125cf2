"""A fast copy of one tenant's private data: PostgreSQL's ``COPY``, table by table.

``dumpdata``/``loaddata`` build a model instance per row and one ``INSERT`` per object; that
is what makes fixtures portable, and what makes them slow for a tenant with many rows. A
snapshot streams each table of the schema with ``COPY ... TO STDOUT`` (text format, which any
PostgreSQL server reads back) and loads it with ``COPY ... FROM STDIN``, in one transaction.

The file is a tar archive (``.tar``, or ``.tar.gz``/``.tgz`` compressed): ``manifest.json``
first, then ``tables/<table>.copy`` per table. The manifest records, for each table, the
columns with their types and the row count, the schema's migration history and the content
types the data may refer to by id. Loading refuses a target that differs in any of these
(other migrations, other columns or types, content types with other ids) or whose tables are
not empty, rather than loading rows that would mean something else.

What a snapshot does not carry: shared rows. Its rows refer to users and other shared rows by
id, so it belongs in a schema of the same database, or of a database whose shared data was
restored with the same ids (``manage.py restore``).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from django.db import connections, transaction
from django.utils.translation import gettext as _
from psycopg import sql

from .backends.postgresql.wrapper import path_keeper
from .fixtures import read_snapshot
from .migrating import migrations_table
from .state import schema_context

FORMAT = "schemaswitch-snapshot"
VERSION = 1
MANIFEST = "manifest.json"
#: How much of a table's data is kept in memory before it spills to a temporary file.
_SPOOL_BYTES = 8 * 1024 * 1024


class SnapshotError(Exception):
    """The snapshot cannot be written or loaded; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class SnapshotSummary:
    schema: str
    tables: int
    rows: int


# -- reading the catalog ---------------------------------------------------------------------

_TABLES_SQL = """
SELECT c.oid, c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relkind = 'r' AND c.relname <> %(migrations)s
ORDER BY c.relname
"""

_COLUMNS_SQL = """
SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = ''
ORDER BY a.attrelid, a.attnum
"""

#: Foreign keys between tables of the schema (to order the load) and to content types.
_FOREIGN_KEYS_SQL = """
SELECT k.conrelid, k.confrelid, t.relname, tn.nspname
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class t ON t.oid = k.confrelid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
WHERE k.contype = 'f' AND k.conrelid = ANY(%(oids)s)
"""

#: Sequences owned by the schema's columns (identity and serial), with their column.
_SEQUENCES_SQL = """
SELECT t.relname, a.attname, s.relname
FROM pg_catalog.pg_depend d
JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE d.classid = 'pg_catalog.pg_class'::regclass
  AND d.refclassid = 'pg_catalog.pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND n.nspname = %(schema)s
ORDER BY t.relname, a.attname
"""


def _describe_schema(cursor: Any, schema: str) -> dict[str, Any]:
    """Tables (in an order that loads parents first), columns, and whether any table points
    at content types."""
    cursor.execute(_TABLES_SQL, {"schema": schema, "migrations": migrations_table()})
    tables = {oid: name for oid, name in cursor.fetchall()}
    oids = list(tables)
    columns: dict[str, list[list[str]]] = {name: [] for name in tables.values()}
    cursor.execute(_COLUMNS_SQL, {"oids": oids})
    own_prefixes = (f"{schema}.", f'"{schema}".')
    for oid, column, type_name in cursor.fetchall():
        # Types defined in the schema itself (enums...) print qualified by it; another schema
        # has its own copy under its own name.
        for prefix in own_prefixes:
            if type_name.startswith(prefix):
                type_name = type_name[len(prefix) :]
        columns[tables[oid]].append([column, type_name])
    cursor.execute(_FOREIGN_KEYS_SQL, {"oids": oids})
    parents: dict[str, set[str]] = {name: set() for name in tables.values()}
    uses_content_types = False
    for child, parent, parent_name, parent_schema in cursor.fetchall():
        if parent in tables and parent != child:
            parents[tables[child]].add(tables[parent])
        elif parent_schema == "public" and parent_name == "django_content_type":
            uses_content_types = True
    return {
        "order": _parents_first(parents),
        "columns": columns,
        "uses_content_types": uses_content_types,
    }


def _parents_first(parents: dict[str, set[str]]) -> list[str]:
    """Tables ordered so that a table comes after the tables it references; cycles (only
    possible with deferrable keys, which are checked at commit) keep name order."""
    order: list[str] = []
    placed: set[str] = set()
    pending = sorted(parents)
    while pending:
        ready = [t for t in pending if parents[t] <= placed]
        if not ready:
            ready = pending[:1]
        for table in ready:
            order.append(table)
            placed.add(table)
        pending = [t for t in pending if t not in placed]
    return order


def _applied_migrations(cursor: Any, schema: str) -> list[str]:
    cursor.execute(
        sql.SQL("SELECT app || '.' || name FROM {}.{} ORDER BY app, name").format(
            sql.Identifier(schema), sql.Identifier(migrations_table())
        )
    )
    return [row[0] for row in cursor.fetchall()]


def _content_types(cursor: Any) -> dict[str, str]:
    cursor.execute("SELECT id, app_label || '.' || model FROM public.\"django_content_type\"")
    return {str(pk): label for pk, label in cursor.fetchall()}


def _qualified(schema: str, table: str, columns: list[list[str]]) -> sql.Composed:
    return sql.SQL("{}.{} ({})").format(
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(name) for name, _type in columns),
    )


# -- writing ---------------------------------------------------------------------------------


def _tar_mode(path: str, writing: bool) -> Literal["w:gz", "w", "r:*"]:
    compressed = path.endswith((".tar.gz", ".tgz"))
    if not compressed and not path.endswith(".tar"):
        raise SnapshotError(
            _("%(path)r: a snapshot file is named *.tar, *.tar.gz or *.tgz.") % {"path": path}
        )
    if writing:
        return "w:gz" if compressed else "w"
    return "r:*"


def save_snapshot(schema: str, path: str, *, using: str = "default") -> SnapshotSummary:
    """Write schema ``schema``'s tables to ``path``, all read from one snapshot of the
    database. The file is written next to ``path`` and renamed into place when complete, so
    a failed or interrupted save never leaves a truncated snapshot under that name."""
    mode = _tar_mode(path, writing=True)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise SnapshotError(_("%(dir)r is not a directory.") % {"dir": directory})
    connection = connections[using]
    rows = 0
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        with read_snapshot(using), schema_context(schema), connection.cursor() as django_cursor:
            path_keeper(connection).ensure()  # the driver's cursor below passes no hook
            cursor = django_cursor.cursor  # psycopg's own cursor, for COPY
            described = _describe_schema(cursor, schema)
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "version": VERSION,
                "schema": schema,
                "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "server_version": connection.connection.info.server_version,
                "migrations": _applied_migrations(cursor, schema),
                "content_types": (
                    _content_types(cursor) if described["uses_content_types"] else None
                ),
                "tables": [],
            }
            files: list[tuple[str, str]] = []
            for number, table in enumerate(described["order"]):
                columns = described["columns"][table]
                data_path = os.path.join(tmp, f"{number}.copy")
                count = 0
                with open(data_path, "wb") as out:
                    statement = sql.SQL("COPY {} TO STDOUT").format(
                        _qualified(schema, table, columns)
                    )
                    with cursor.copy(statement) as copy:
                        for chunk in copy:
                            out.write(chunk)
                    count = cursor.rowcount
                rows += count
                member = f"tables/{number:04d}-{table}.copy"
                manifest["tables"].append(
                    {"name": table, "columns": columns, "rows": count, "member": member}
                )
                files.append((member, data_path))
        partial = os.path.join(tmp, "snapshot.partial")
        with tarfile.open(partial, mode) as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
            for member, data_path in files:
                archive.add(data_path, arcname=member, recursive=False)
        os.replace(partial, path)
    return SnapshotSummary(schema, len(files), rows)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.datetime.now(datetime.UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


# -- reading ---------------------------------------------------------------------------------


@contextmanager
def _open_snapshot(path: str) -> Iterator[tuple[tarfile.TarFile, dict[str, Any]]]:
    if not os.path.isfile(path):
        raise SnapshotError(_("%(path)r does not exist.") % {"path": path})
    try:
        with tarfile.open(path, _tar_mode(path, writing=False)) as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest = json.loads(member.read())
            if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
                raise SnapshotError(
                    _("%(path)r is not a snapshot this version can read.") % {"path": path}
                )
            yield archive, manifest
    except (tarfile.TarError, KeyError, ValueError, EOFError, OSError) as exc:
        raise SnapshotError(
            _("%(path)r is not a readable snapshot: %(error)s") % {"path": path, "error": exc}
        ) from exc


def read_manifest(path: str) -> dict[str, Any]:
    """What ``path`` holds (schema, tables, row counts), without loading it."""
    with _open_snapshot(path) as (_archive, manifest):
        return manifest


def load_snapshot(path: str, schema: str, *, using: str = "default") -> SnapshotSummary:
    """Load ``path`` into the existing, empty schema ``schema`` in one transaction and move
    its sequences past the loaded rows. The caller validates ``schema`` (and creates it)."""
    connection = connections[using]
    with _open_snapshot(path) as (archive, manifest):
        # The schema is active so that trigger functions and defaults that name tables
        # without a schema resolve them as they do in a request.
        with (
            transaction.atomic(using=using),
            schema_context(schema),
            connection.cursor() as django_cursor,
        ):
            path_keeper(connection).ensure()  # the driver's cursor below passes no hook
            cursor = django_cursor.cursor
            _refuse_mismatch(cursor, schema, manifest)
            triggers = _pause_triggers(cursor, schema)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            rows = 0
            for table in manifest["tables"]:
                data = archive.extractfile(table["member"])
                if data is None:
                    raise SnapshotError(
                        _("%(path)r lacks the data of table %(table)s.")
                        % {"path": path, "table": table["name"]}
                    )
                statement = sql.SQL("COPY {} FROM STDIN").format(
                    _qualified(schema, table["name"], table["columns"])
                )
                with cursor.copy(statement) as copy:
                    while chunk := data.read(1024 * 1024):
                        copy.write(chunk)
                rows += table["rows"]
            # Deferred foreign keys are checked here, inside the transaction, so a violation
            # is reported as the load's failure rather than at commit (and PostgreSQL alters
            # no table with checks still queued).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            _resume_triggers(cursor, schema, triggers)
            _reset_sequences(cursor, schema)
    return SnapshotSummary(schema, len(manifest["tables"]), rows)


def _refuse_mismatch(cursor: Any, schema: str, manifest: dict[str, Any]) -> None:
    """Refuse a target whose history, tables, columns or content types differ from the
    snapshot's, or whose tables hold rows."""
    mine = _applied_migrations(cursor, schema)
    theirs = manifest["migrations"]
    if mine != theirs:
        only_here = sorted(set(mine) - set(theirs))
        only_there = sorted(set(theirs) - set(mine))
        raise SnapshotError(
            _(
                "Schema %(schema)r is not at the snapshot's migrations (applied only in the "
                "snapshot: %(there)s; only in the schema: %(here)s). Migrate both to the "
                "same state first."
            )
            % {
                "schema": schema,
                "there": ", ".join(only_there) or "-",
                "here": ", ".join(only_here) or "-",
            }
        )
    described = _describe_schema(cursor, schema)
    wanted = {t["name"]: t["columns"] for t in manifest["tables"]}
    if set(wanted) != set(described["columns"]):
        raise SnapshotError(
            _("Schema %(schema)r has other tables than the snapshot: %(diff)s.")
            % {
                "schema": schema,
                "diff": ", ".join(sorted(set(wanted) ^ set(described["columns"]))),
            }
        )
    differing = sorted(
        name
        for name, columns in wanted.items()
        if sorted(map(tuple, columns)) != sorted(map(tuple, described["columns"][name]))
    )
    if differing:
        raise SnapshotError(
            _("Tables whose columns differ from the snapshot's in schema %(schema)r: %(t)s.")
            % {"schema": schema, "t": ", ".join(differing)}
        )
    if manifest.get("content_types") is not None:
        here = _content_types(cursor)
        moved = sorted(
            label for pk, label in manifest["content_types"].items() if here.get(pk) != label
        )
        if moved:
            raise SnapshotError(
                _(
                    "Content types have other ids in this database (%(labels)s); the "
                    "snapshot's rows would point at the wrong ones. Use dumpdata/loaddata "
                    "with --natural-foreign for this schema instead."
                )
                % {"labels": ", ".join(moved[:10])}
            )
    non_empty = _non_empty_tables(cursor, schema, list(wanted))
    if non_empty:
        raise SnapshotError(
            _(
                "Schema %(schema)r already holds rows (in %(tables)s); a snapshot loads into "
                "empty tables only. Empty it with 'manage.py flush --schema %(schema)s' or "
                "load into a new schema (--create)."
            )
            % {"schema": schema, "tables": ", ".join(non_empty)}
        )


_USER_TRIGGERS_SQL = """
SELECT c.relname, t.tgname
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND NOT t.tgisinternal AND t.tgenabled = 'O'
ORDER BY c.relname, t.tgname
"""


def _pause_triggers(cursor: Any, schema: str) -> list[tuple[str, str]]:
    """Switch the schema's own triggers off for the load: the rows they would write (an audit
    log, a counter) are in the snapshot already. Foreign-key triggers stay on. ``ALTER
    TABLE`` is transactional, so a failed load leaves them on too."""
    cursor.execute(_USER_TRIGGERS_SQL, {"schema": schema})
    triggers: list[tuple[str, str]] = cursor.fetchall()
    _set_triggers(cursor, schema, triggers, "DISABLE")
    return triggers


def _resume_triggers(cursor: Any, schema: str, triggers: list[tuple[str, str]]) -> None:
    _set_triggers(cursor, schema, triggers, "ENABLE")


def _set_triggers(cursor: Any, schema: str, triggers: list[tuple[str, str]], verb: str) -> None:
    for table, trigger in triggers:
        cursor.execute(
            sql.SQL("ALTER TABLE {}.{} {} TRIGGER {}").format(
                sql.Identifier(schema),
                sql.Identifier(table),
                sql.SQL(verb),
                sql.Identifier(trigger),
            )
        )


def _non_empty_tables(cursor: Any, schema: str, tables: list[str]) -> list[str]:
    if not tables:
        return []
    probes = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {} WHERE EXISTS (SELECT 1 FROM {}.{})").format(
            sql.Literal(table), sql.Identifier(schema), sql.Identifier(table)
        )
        for table in tables
    )
    cursor.execute(probes)
    return sorted(row[0] for row in cursor.fetchall())


def _reset_sequences(cursor: Any, schema: str) -> None:
    """Every sequence owned by a column continues after the column's largest value (or
    starts again at 1 on an empty table), in one statement."""
    cursor.execute(_SEQUENCES_SQL, {"schema": schema})
    owned = cursor.fetchall()
    if not owned:
        return
    resets = sql.SQL(", ").join(
        sql.SQL(
            "(SELECT pg_catalog.setval({seq}::regclass, COALESCE(MAX({col}), 1), "
            "MAX({col}) IS NOT NULL) FROM {schema}.{table})"
        ).format(
            seq=sql.Literal(sql.Identifier(schema, sequence).as_string(cursor.connection)),
            col=sql.Identifier(column),
            schema=sql.Identifier(schema),
            table=sql.Identifier(table),
        )
        for table, column, sequence in owned
    )
    cursor.execute(sql.SQL("SELECT {}").format(resets))
