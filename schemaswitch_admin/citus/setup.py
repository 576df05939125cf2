"""The steps of ``citus_setup``, each safe to repeat: it looks before it changes anything.

1. Reference tables: every shared table a private table points at by a foreign key (read from
   the template's catalog, so foreign keys written in raw SQL count too), and the shared
   tables those point at in turn, become Citus reference tables (a copy on every node), the
   only kind a distributed schema may reference. Citus then turns the shared tables linked to
   them into "Citus local" tables and, doing so, restarts their sequences: the step records
   every shared sequence's position first and puts each back afterwards, never below the
   largest id in its table.
2. Database settings: schema-based sharding on, so ``CREATE SCHEMA`` makes a distributed
   schema (clones also set it for their own transaction), and triggers allowed on
   distributed tables.
3. Distribution: the template and every registered schema become distributed schemas, each
   whole on one node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction
from psycopg import sql

from .. import conf
from ..schema_model import get_schema_model
from .placement import SHARDING, UNSAFE_TRIGGERS

#: Shared tables referenced from the template, and (recursively) the shared tables those
#: reference: a reference table may only point at reference tables.
_REFERENCED_SQL = """
WITH RECURSIVE template AS (
    SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %(template)s
), wanted(oid) AS (
    SELECT c.confrelid
    FROM pg_catalog.pg_constraint c
    JOIN pg_catalog.pg_class t ON t.oid = c.confrelid
    WHERE c.contype = 'f' AND c.connamespace = (SELECT oid FROM template)
      AND t.relnamespace <> (SELECT oid FROM template)
    UNION
    SELECT c.confrelid
    FROM pg_catalog.pg_constraint c JOIN wanted w ON c.conrelid = w.oid
    WHERE c.contype = 'f'
)
SELECT DISTINCT w.oid::regclass::text,
       EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p
               WHERE p.logicalrelid = w.oid AND p.partmethod = 'n' AND p.repmodel = 't')
FROM wanted w
ORDER BY 1
"""

#: Every sequence owned by a column of a shared table: (sequence as quoted text, table's
#: schema, table, column, position). By name, not oid: Citus's conversion recreates them.
_SHARED_SEQUENCES_SQL = """
SELECT pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(s.relname),
       tn.nspname, t.relname, a.attname,
       pg_catalog.pg_sequence_last_value(d.objid::regclass)
FROM pg_catalog.pg_depend d
JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND t.relnamespace = 'public'::regnamespace
"""


class CitusMissing(RuntimeError):
    """The database has no Citus extension."""


@dataclass
class SetupReport:
    reference_tables: list[str] = field(default_factory=list)
    already_reference: list[str] = field(default_factory=list)
    sequences_restored: list[str] = field(default_factory=list)
    settings_changed: list[str] = field(default_factory=list)
    distributed: list[str] = field(default_factory=list)
    already_distributed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def require_citus(cursor: Any) -> str:
    """Citus's version, or ``CitusMissing``."""
    cursor.execute("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'citus'")
    row = cursor.fetchone()
    if row is None:
        raise CitusMissing(
            "The database has no Citus extension: install Citus on every node, add "
            "shared_preload_libraries = 'citus', run CREATE EXTENSION citus and register "
            "the workers (docs/scale-out.md)."
        )
    return str(row[0])


def setup_refusal(cursor: Any) -> str | None:
    """Why ``citus_setup`` cannot finish on this database, checked before it changes
    anything: schema-based sharding needs Citus 12 or later, and setting the database's
    parameters needs its owner (or a superuser)."""
    cursor.execute(
        "SELECT pg_catalog.to_regproc('pg_catalog.citus_schema_distribute') IS NOT NULL, "
        "(SELECT r.rolsuper OR d.datdba = r.oid FROM pg_catalog.pg_roles r, "
        "pg_catalog.pg_database d WHERE r.rolname = current_user "
        "AND d.datname = pg_catalog.current_database())"
    )
    sharding, may_alter = cursor.fetchone()
    if not sharding:
        return (
            "This Citus has no schema-based sharding (citus_schema_distribute): "
            "Citus 12 or later is needed."
        )
    if not may_alter:
        return (
            "The database role must own the database (or be a superuser) to set the "
            "database's Citus parameters (ALTER DATABASE ... SET)."
        )
    return None


def make_reference_tables(using: str, report: SetupReport, say: Callable[[str], None]) -> None:
    template = conf.template_schema()
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(_REFERENCED_SQL, {"template": template})
        tables = cursor.fetchall()
        missing = [name for name, is_reference in tables if not is_reference]
        report.already_reference += [name for name, is_reference in tables if is_reference]
        cursor.execute(_SHARED_SEQUENCES_SQL)
        positions = cursor.fetchall()
        for name in missing:
            say(f"reference table: {name}")
            cursor.execute("SELECT pg_catalog.create_reference_table(%s::regclass)", [name])
            report.reference_tables.append(name)
        # Always, not only after a conversion: a run that converted tables but died before
        # this point (or a conversion made by hand) left sequences behind their rows.
        report.sequences_restored += restore_sequences(cursor, connection, positions)


def restore_sequences(
    cursor: Any, connection: Any, positions: Iterable[tuple[str, str, str, str, int | None]]
) -> list[str]:
    """Put each sequence back where it was, or past its table's largest id if that is
    further. The maxima and current positions are read in one statement, the sequences moved
    in another that reads no table (on Citus a statement reading a distributed table runs on
    the node holding it, where the sequence is not)."""
    positions = list(positions)
    if not positions:
        return []
    context = connection.connection
    cursor.execute(
        sql.SQL("SELECT {}")
        .format(
            sql.SQL(", ").join(
                sql.SQL(
                    "(SELECT max({})::bigint FROM {}), "
                    "pg_catalog.pg_sequence_last_value({}::regclass)"
                ).format(
                    sql.Identifier(column),
                    sql.Identifier(schema, table),
                    sql.Literal(sequence),
                )
                for sequence, schema, table, column, _value in positions
            )
        )
        .as_string(context)
    )
    row = cursor.fetchone()
    moves = []
    for index, (sequence, *_names, before) in enumerate(positions):
        top, now = row[2 * index : 2 * index + 2]
        wanted = max((v for v in (before, top) if v is not None), default=None)
        if wanted is not None and (now is None or now < wanted):
            moves.append((sequence, wanted))
    if moves:
        cursor.execute(
            sql.SQL("SELECT {}")
            .format(
                sql.SQL(", ").join(
                    sql.SQL("pg_catalog.setval({}::regclass, {}, true)").format(
                        sql.Literal(sequence), sql.Literal(wanted)
                    )
                    for sequence, wanted in moves
                )
            )
            .as_string(context)
        )
    return [sequence for sequence, _wanted in moves]


def set_database_parameters(using: str, report: SetupReport) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_catalog.current_database()")
        (name,) = cursor.fetchone()
        for parameter in (SHARDING, UNSAFE_TRIGGERS):
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s "
                "JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase "
                "WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0 "
                "AND %s = ANY(s.setconfig))",
                [f"{parameter}=on"],
            )
            if not cursor.fetchone()[0]:
                # The database we are connected to, whatever the settings call it (an alias
                # behind a pooler may carry another name).
                cursor.execute(
                    sql.SQL("ALTER DATABASE {} SET {} TO on")
                    .format(sql.Identifier(name), sql.Identifier(*parameter.split(".")))
                    .as_string(connection.connection)
                )
                report.settings_changed.append(parameter)


def schemas_to_distribute(using: str) -> list[str]:
    """The template, then every registered schema, by name."""
    names = list(
        get_schema_model().objects.using(using).order_by("name").values_list("name", flat=True)
    )
    return [conf.template_schema(), *names]


def distribute_schemas(
    using: str,
    names: list[str],
    report: SetupReport,
    progress: Callable[[int, int, str, str], None],
) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, EXISTS (SELECT 1 FROM pg_catalog.pg_dist_schema s "
            "WHERE s.schemaid = n.oid) FROM pg_catalog.pg_namespace n "
            "WHERE n.nspname = ANY(%s)",
            [names],
        )
        state = dict(cursor.fetchall())
    for position, name in enumerate(names, 1):
        if name not in state:
            report.failed[name] = "the PostgreSQL schema does not exist"
            progress(position, len(names), name, "FAILED: the PostgreSQL schema does not exist")
            continue
        if state[name]:
            report.already_distributed.append(name)
            progress(position, len(names), name, "already distributed")
            continue
        try:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL("SET LOCAL {} TO on")
                    .format(sql.Identifier(*UNSAFE_TRIGGERS.split(".")))
                    .as_string(connection.connection)
                )
                cursor.execute(
                    "SELECT pg_catalog.citus_schema_distribute(oid::regnamespace) "
                    "FROM pg_catalog.pg_namespace WHERE nspname = %s",
                    [name],
                )
        except Exception as exc:  # noqa: BLE001 - reported per schema, the others go on
            report.failed[name] = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            progress(position, len(names), name, f"FAILED: {report.failed[name]}")
        else:
            report.distributed.append(name)
            progress(position, len(names), name, "distributed")
