"""Creating a schema as a copy of another (normally the template) and dropping one.

Cloning replaces running every migration for each new schema: the template is migrated once,
and a new schema copies its structure and its migration history. The source's catalog is read
once per process and kept as a script (see ``catalog``); a clone then costs one cheap query
(a fingerprint of the source's catalog rows, which says whether the script is still current)
and one round trip carrying the whole script.

Everything happens inside the caller's transaction (or a new one), so a failed clone leaves
nothing behind, and two processes creating the same schema cannot both succeed: PostgreSQL's
unique index on schema names makes the second wait for the first and then fail.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import DatabaseError, IntegrityError, connections, transaction
from django.utils.translation import gettext as _
from psycopg import sql

from . import conf
from .backends.postgresql.wrapper import path_keeper
from .catalog import CloneScript, UnsupportedSchemaObject, clone_script
from .citus.placement import citus_placement
from .exceptions import TemplateSchemaMissing
from .migrating import migrations_table
from .validation import validate_activatable_name, validate_schema_name

__all__ = [
    "RoleNamedSchema",
    "SchemaAlreadyExists",
    "TemplateRowsRefused",
    "UnsupportedSchemaObject",
    "clear_clone_cache",
    "clone_schema",
    "drop_pg_schema",
]

#: SQLSTATEs meaning "that schema name is taken": duplicate_schema, and unique_violation on
#: pg_namespace when a concurrent creator committed while we waited on its index entry.
_NAME_TAKEN = {"42P06", "23505"}

#: Cached scripts: (database, source, citus) -> (namespace oid, fingerprint, script).
_scripts: dict[tuple[Any, ...], tuple[int, str, CloneScript]] = {}
_scripts_lock = threading.Lock()
_MAX_CACHED = 64


# -- the cache's key --------------------------------------------------------------------------

#: A digest of every catalog row that describes the schema's contents (whole rows, oids
#: included): any DDL on the schema changes one of them, and nothing but a change does (VACUUM
#: and ANALYZE statistics in pg_class aside, which only cost a re-read). Each row is reached
#: by an index lookup keyed by one object of the schema, in correlated subqueries the planner
#: cannot turn into hash joins over whole catalogs, so the cost follows the size of the source
#: schema, not the number of schemas in the database.
FINGERPRINT_SQL = """
WITH src AS MATERIALIZED (
    SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %(source)s
), top AS MATERIALIZED (
    SELECT d.classid, d.objid, d::text AS v
    FROM pg_catalog.pg_depend d, src
    WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass AND d.refobjid = src.oid
), rels AS MATERIALIZED (
    SELECT objid AS oid FROM top WHERE classid = 'pg_catalog.pg_class'::regclass
    UNION ALL
    SELECT unnest(ARRAY(SELECT i.indexrelid FROM pg_catalog.pg_index i
                        WHERE i.indrelid = top.objid))
    FROM top WHERE classid = 'pg_catalog.pg_class'::regclass
)
SELECT
    (SELECT oid FROM src),
    EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %(target)s),
    EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %(target)s),
    pg_catalog.current_setting('check_function_bodies'),
    EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus'),
    pg_catalog.md5(pg_catalog.concat(
        (SELECT pg_catalog.string_agg(v, ',' ORDER BY v) FROM top),
        '|',
        (SELECT pg_catalog.string_agg(pg_catalog.concat(
            'c', (SELECT x::text FROM pg_catalog.pg_class x
                  WHERE x.oid = r.oid),
            'a', (SELECT pg_catalog.string_agg(x::text, ',')
                  FROM pg_catalog.pg_attribute x WHERE x.attrelid = r.oid),
            'd', (SELECT pg_catalog.string_agg(x::text, ',')
                  FROM pg_catalog.pg_attrdef x WHERE x.adrelid = r.oid),
            's', (SELECT x::text FROM pg_catalog.pg_sequence x
                  WHERE x.seqrelid = r.oid),
            'o', (SELECT pg_catalog.string_agg(x::text, ',')
                  FROM pg_catalog.pg_depend x
                  WHERE x.classid = 'pg_catalog.pg_class'::regclass AND x.objid = r.oid),
            'r', (SELECT pg_catalog.string_agg(x::text, ',')
                  FROM pg_catalog.pg_rewrite x WHERE x.ev_class = r.oid),
            'k', (SELECT pg_catalog.string_agg(x::text || pg_catalog.concat(
                      (SELECT m::text FROM pg_catalog.pg_description m
                       WHERE m.objoid = x.oid
                         AND m.classoid = 'pg_catalog.pg_constraint'::regclass)), ',')
                  FROM pg_catalog.pg_constraint x WHERE x.conrelid = r.oid),
            't', (SELECT pg_catalog.string_agg(x::text || pg_catalog.concat(
                      (SELECT m::text FROM pg_catalog.pg_description m
                       WHERE m.objoid = x.oid
                         AND m.classoid = 'pg_catalog.pg_trigger'::regclass)), ',')
                  FROM pg_catalog.pg_trigger x WHERE x.tgrelid = r.oid),
            'm', (SELECT pg_catalog.string_agg(x::text, ',')
                  FROM pg_catalog.pg_description x
                  WHERE x.objoid = r.oid AND x.classoid = 'pg_catalog.pg_class'::regclass)
        ), ',' ORDER BY r.oid) FROM rels r),
        '|',
        (SELECT pg_catalog.string_agg(pg_catalog.concat(
            'p', (SELECT x::text FROM pg_catalog.pg_proc x
                  WHERE x.oid = t.objid AND t.classid = 'pg_catalog.pg_proc'::regclass),
            'y', (SELECT x::text FROM pg_catalog.pg_type x
                  WHERE x.oid = t.objid AND t.classid = 'pg_catalog.pg_type'::regclass),
            'e', (SELECT pg_catalog.string_agg(x::text, ',')
                  FROM pg_catalog.pg_enum x
                  WHERE x.enumtypid = t.objid AND t.classid = 'pg_catalog.pg_type'::regclass),
            'm', (SELECT pg_catalog.string_agg(x::text, ',')
                  FROM pg_catalog.pg_description x
                  WHERE x.objoid = t.objid AND x.classoid = t.classid)
        ), ',' ORDER BY t.objid) FROM top t
         WHERE t.classid <> 'pg_catalog.pg_class'::regclass)
    ))
"""


class RoleNamedSchema(ValueError):
    """The target is named like a database role: ``"$user"`` in PostgreSQL's default path
    would resolve to it for that role, outside our control."""


class TemplateRowsRefused(ValueError):
    """A clone with rows was asked of the template, which every schema copies and which
    must hold no tenant's rows."""


class SchemaAlreadyExists(IntegrityError):
    """The target schema exists already (or another process just created it).

    An ``IntegrityError`` like the duplicate ``Schema`` row it usually comes with, so
    callers handle both with one ``except``.
    """


def clear_clone_cache() -> None:
    """Forget every cached clone script (they are re-read on the next clone)."""
    _scripts.clear()


def clone_schema(
    source: str, target: str, *, with_data: bool = False, using: str = "default"
) -> None:
    """Create schema ``target`` as a copy of ``source``'s structure and migration history;
    with ``with_data`` every table's rows too, sequences moved past the copied rows.

    Runs in the caller's transaction (in a savepoint) when there is one. Rows are read with
    the transaction's isolation: copy a live schema under REPEATABLE READ (or while nothing
    writes to it) for a consistent snapshot across tables.
    """
    validate_activatable_name(source)
    validate_schema_name(target)
    if with_data and source == conf.template_schema():
        raise TemplateRowsRefused(
            _(
                "The template schema is copied structure only: rows written into it must "
                "never reach a new schema. Clone it without with_data."
            )
        )
    connection = connections[using]
    # The script sets search_path itself (SET LOCAL, until the end of the caller's
    # transaction): the backend sends no SET before it and trusts nothing after it.
    with path_keeper(connection).own_path(), transaction.atomic(using=using):
        with connection.cursor() as cursor:
            context = connection.connection
            script, check_bodies, placement = _script_for(
                cursor, connection, source, target, context
            )
            restore = sql.SQL("SET LOCAL check_function_bodies TO {}").format(
                sql.Literal(check_bodies)
            )
            if script.separate:
                apply, put_back = placement
                statements = [
                    *apply,
                    *script.compose_each(target, with_data=with_data),
                    restore,
                    *put_back,
                ]
            else:
                statements = [sql.Composed([script.compose(target, with_data=with_data), restore])]
            try:
                for one in statements:
                    cursor.execute(one.as_string(context))
            except DatabaseError as exc:
                if getattr(exc.__cause__, "sqlstate", None) in _NAME_TAKEN:
                    raise _taken(target) from exc
                raise


def drop_pg_schema(name: str, *, using: str = "default") -> None:
    """Drop schema ``name`` and everything in it. Refuses ``public``, system schemas and the
    template, whose loss would break every other schema. A missing schema is not an error,
    so a half-finished drop can be retried."""
    validate_schema_name(name)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # Rows written earlier in this transaction may still have deferred foreign-key checks
        # queued; PostgreSQL refuses to drop a table with pending trigger events, so run them
        # now (a violation would fail the commit anyway).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
            .format(sql.Identifier(name))
            .as_string(connection.connection)
        )


def _taken(target: str) -> SchemaAlreadyExists:
    return SchemaAlreadyExists(
        _("Schema %(name)s already exists in the database; choose another name.")
        % {"name": target}
    )


def _script_for(
    cursor: Any, connection: Any, source: str, target: str, context: Any
) -> tuple[CloneScript, str, tuple[list[sql.Composable], list[sql.Composable]]]:
    """The current script for ``source``, the session's ``check_function_bodies`` (the
    script turns it off for its own duration) and, on Citus, the settings that place the
    copy where the source is (a distributed schema, or not)."""
    cursor.execute(FINGERPRINT_SQL, {"source": source, "target": target})
    namespace, target_exists, role_named, check_bodies, citus, fingerprint = cursor.fetchone()
    if namespace is None:
        if source == conf.template_schema():
            message = _(
                "The template schema %(name)s does not exist yet: run manage.py migrate "
                "to create it."
            )
        else:
            message = _("The source schema %(name)s does not exist.")
        raise TemplateSchemaMissing(message % {"name": source})
    if target_exists:
        raise _taken(target)
    if role_named:
        raise RoleNamedSchema(
            _(
                "Schema %(name)s cannot be created: a database role has that name, and "
                "PostgreSQL puts a schema named like the connecting role on that role's "
                "default search_path (\"$user\"). Choose another name."
            )
            % {"name": target}
        )
    placement = citus_placement(cursor, namespace) if citus else ([], [])
    settings = connection.settings_dict
    key = (settings["HOST"], settings["PORT"], settings["NAME"], source, citus)
    cached = _scripts.get(key)
    if cached is not None and cached[0] == namespace and cached[1] == fingerprint:
        return cached[2], check_bodies, placement
    # The reader prints definitions while only the source is on the path (SET LOCAL, for
    # the rest of the transaction); the backend must not put its own path back meanwhile.
    with path_keeper(connection).own_path():
        cursor.execute(
            sql.SQL("SET LOCAL search_path TO {}")
            .format(sql.Identifier(source))
            .as_string(context)
        )
        script = clone_script(
            cursor, source, namespace, migrations_table(), context, citus=citus
        )
    with _scripts_lock:
        if key not in _scripts and len(_scripts) >= _MAX_CACHED:
            _scripts.pop(next(iter(_scripts)))
        _scripts[key] = (namespace, fingerprint, script)
    return script, check_bodies, placement
