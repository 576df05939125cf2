"""Reading one schema's catalog into a script that rebuilds the schema under another name.

The script never rewrites SQL text. Definitions come from PostgreSQL's own deparsers
(``pg_get_indexdef``, ``pg_get_constraintdef``, ``pg_get_viewdef``, ``pg_get_expr``...) called
while ``search_path`` holds only the source schema: PostgreSQL then prints the source's own
objects unqualified and everything else (``public.auth_user``) qualified. The script runs with
``search_path`` holding only the target, so the unqualified names resolve to the copies. Index,
trigger and rule definitions are asked for in "pretty" mode, the only mode in which those
deparsers leave a visible table unqualified; the text is executed at once by the same server,
so the caveat about reloading pretty output in later versions does not apply.

Statements the deparsers cannot give (tables, sequences, functions, comments) are built from
catalog columns with ``psycopg.sql``; column types come from ``format_type``, printed under the
same search_path, so a column of an enum defined in the source gets the target's enum (``CREATE
TABLE ... (LIKE ...)`` would keep the source's). The target schema is a hole in the script
(``TARGET``), filled with ``sql.Identifier`` when a clone is made, so one read serves every
clone.

Order: types, functions, sequences, tables, [rows], defaults/identities/keys/checks, views in
dependency order, indexes, foreign keys, triggers, rules, comments, [sequence positions].
Rows go in before indexes, foreign keys and triggers, so they are loaded once, are never
refused for order, and fire nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from django.utils.translation import gettext as _
from psycopg import sql


class UnsupportedSchemaObject(RuntimeError):
    """The source schema holds objects a clone cannot reproduce faithfully.

    Raised instead of making a clone that silently lacks them.
    """


class _Target:
    def __repr__(self) -> str:
        return "TARGET"


#: Placeholder for the target schema's quoted name inside a script.
TARGET: Any = _Target()

Part = str | _Target

#: Which clones run a section: all, those without rows ("bare"), those with rows ("data").
BOTH, BARE, DATA = "both", "bare", "data"

#: Script sections, in execution order. A bare clone declares keys, checks and foreign keys
#: in ``CREATE TABLE`` (PostgreSQL then skips validating them, the tables being new); a clone
#: with rows adds them after the rows, so nothing is refused for row order and indexes are
#: built once.
SECTIONS = (
    ("head", BOTH),
    ("early", BOTH),  # enums, functions, sequences
    ("tables_bare", BARE),
    ("tables_data", DATA),
    ("after_tables", BOTH),  # sequence ownership, functions using table row types
    ("rows", DATA),
    ("history", BARE),  # the migration history alone
    ("alter_bare", BARE),  # defaults, identities, what could not be declared inline
    ("alter_data", DATA),  # defaults, identities, keys and checks
    ("views", BOTH),  # views in dependency order, functions using view row types
    ("indexes", BOTH),
    ("fk_bare", BARE),
    ("fk_data", DATA),
    ("finish", BOTH),  # triggers, rules, comments
    ("reset_data", DATA),
    ("reset_bare", BARE),
)


@dataclass
class CloneScript:
    """The DDL that rebuilds a source schema, with holes where the target's name goes."""

    sections: dict[str, list[Part]] = field(
        default_factory=lambda: {name: [] for name, _runs in SECTIONS}
    )

    def add(self, section: str, *pieces: str | sql.Composable | _Target, context: Any) -> None:
        """Append one statement; composables are rendered now, the target stays a hole."""
        parts = self.sections[section]
        for piece in (*pieces, ";\n"):
            if isinstance(piece, sql.Composable):
                piece = piece.as_string(context)
            if isinstance(piece, str) and parts and isinstance(parts[-1], str):
                parts[-1] += piece
            else:
                parts.append(piece)

    def compose(self, target: str, *, with_data: bool) -> sql.Composed:
        """The script for ``target``; the name is quoted by ``sql.Identifier``."""
        skip = BARE if with_data else DATA
        hole = sql.Identifier(target)
        return sql.Composed(
            [
                hole if part is TARGET else sql.SQL(part)
                for name, runs in SECTIONS
                if runs != skip
                for part in self.sections[name]
            ]
        )


def _ident(*names: str) -> sql.Composable:
    return sql.SQL(".").join(sql.Identifier(n) for n in names)


def _in_target(name: str) -> tuple[Part, sql.Composable]:
    """``"<target>"."name"``, the target left as a hole."""
    return (TARGET, sql.SQL(".{}").format(sql.Identifier(name)))


# -- reading ------------------------------------------------------------------------------

_VOLATILITY = {"i": "IMMUTABLE", "s": "STABLE", "v": "VOLATILE"}
_PARALLEL = {"s": "PARALLEL SAFE", "r": "PARALLEL RESTRICTED", "u": "PARALLEL UNSAFE"}
_TRIGGER_STATE = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}
_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}
_GENERATED = {"s": "STORED", "v": "VIRTUAL"}
_RELKIND_WORD = {
    "r": "TABLE",
    "v": "VIEW",
    "m": "MATERIALIZED VIEW",
    "S": "SEQUENCE",
    "i": "INDEX",
}
_INTEGER_TYPES = {"smallint", "integer", "bigint"}

#: When a function whose signature uses a row type of the schema can be created: after the
#: tables (a table's row type) or after the views (a view's). Others come before the tables.
_AFTER_TABLES, _AFTER_VIEWS = 1, 2


@dataclass
class _Column:
    name: str
    type: str
    base_type: str
    not_null: bool
    not_null_name: str | None
    identity: str
    generated: str
    expression: str | None
    collation: tuple[str, str] | None
    storage: str | None
    compression: str | None
    #: The type (or array element type) is defined in the source schema itself.
    own_type: bool


@dataclass
class _Relation:
    oid: int
    name: str
    kind: str
    unlogged: bool
    populated: bool
    options: list[tuple[str, str]]
    definition: str | None
    columns: dict[int, _Column] = field(default_factory=dict)


@dataclass
class _Constraint:
    name: str
    kind: str
    definition: str
    validated: bool
    #: Foreign keys: the referenced table and the unique index they rely on.
    referenced: int
    index: int


Piece = str | sql.Composable | _Target


class CatalogReader:
    """Reads the source schema once and writes the script.

    The cursor must be inside a transaction with ``search_path`` set to only the source
    schema, which is what makes the deparsers print the source's objects unqualified.
    """

    def __init__(
        self, cursor: Any, source: str, namespace: int, history_table: str, context: Any
    ) -> None:
        self.cursor = cursor
        self.source = source
        self.nsp = namespace
        self.history_table = history_table
        self.context = context
        self.script = CloneScript()
        self.relations: dict[int, _Relation] = {}
        self.constraint_names: dict[int, tuple[str, int]] = {}
        self.functions: dict[int, tuple[str, str]] = {}
        self.triggers: dict[int, tuple[str, int]] = {}
        self.rules: dict[int, tuple[str, int]] = {}
        self.types: dict[int, str] = {}
        self.identity: dict[tuple[int, int], list[Piece]] = {}
        self.late_functions: dict[int, list[list[Piece]]] = defaultdict(list)
        self.constraints: dict[int, list[_Constraint]] = defaultdict(list)
        #: Constraints a bare clone declares in CREATE TABLE, by oid of their table.
        self.inline: dict[int, set[str]] = defaultdict(set)

    # -- helpers --------------------------------------------------------------------------

    def _rows(self, query: str, **params: Any) -> list[tuple]:
        self.cursor.execute(query, {"nsp": self.nsp, **params})
        return self.cursor.fetchall()

    def _add(self, section: str, *pieces: Piece) -> None:
        self.script.add(section, *pieces, context=self.context)

    def _src(self, name: str) -> sql.Composable:
        return _ident(self.source, name)

    def _of_kind(self, *kinds: str) -> list[_Relation]:
        return [r for r in self.relations.values() if r.kind in kinds]

    @staticmethod
    def _options(options: list[tuple[str, str]]) -> list[Piece]:
        if not options:
            return []
        return [
            " WITH (",
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(v)) for k, v in options
            ),
            ")",
        ]

    # -- the script, in execution order ---------------------------------------------------

    def read(self) -> CloneScript:
        self._refuse_unsupported()
        self._add("head", "CREATE SCHEMA ", TARGET)
        self._add("head", "SET LOCAL search_path TO ", TARGET)
        # As pg_dump does: bodies may name objects created later in the script.
        self._add("head", "SET LOCAL check_function_bodies TO off")
        self._relations()
        self._constraints()
        self._types()
        self._functions()
        self._sequences()
        self._tables()
        self._late_functions(_AFTER_TABLES)
        self._table_alterations()
        self._views()
        self._late_functions(_AFTER_VIEWS)
        self._indexes()
        self._foreign_keys()
        self._triggers()
        self._rules()
        self._comments()
        return self.script

    def _refuse_unsupported(self) -> None:
        found = [
            row[0]
            for row in self._rows(
                """
                SELECT pg_catalog.pg_describe_object(d.classid, d.objid, 0)
                FROM pg_catalog.pg_depend d
                WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass
                  AND d.refobjid = %(nsp)s
                  AND d.classid NOT IN ('pg_catalog.pg_class'::regclass,
                                        'pg_catalog.pg_proc'::regclass,
                                        'pg_catalog.pg_type'::regclass)
                UNION ALL
                SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, c.oid, 0)
                FROM pg_catalog.pg_class c
                WHERE c.relnamespace = %(nsp)s
                  AND (c.relkind NOT IN ('r', 'v', 'm', 'S', 'i') OR c.relispartition
                       OR c.relrowsecurity
                       OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h
                                  WHERE h.inhrelid = c.oid OR h.inhparent = c.oid)
                       OR EXISTS (SELECT 1 FROM pg_catalog.pg_policy p
                                  WHERE p.polrelid = c.oid))
                UNION ALL
                SELECT pg_catalog.pg_describe_object('pg_catalog.pg_proc'::regclass, p.oid, 0)
                FROM pg_catalog.pg_proc p
                WHERE p.pronamespace = %(nsp)s AND p.prokind NOT IN ('f', 'p', 'w')
                UNION ALL
                SELECT pg_catalog.pg_describe_object('pg_catalog.pg_type'::regclass, t.oid, 0)
                FROM pg_catalog.pg_type t
                WHERE t.typnamespace = %(nsp)s AND t.typtype <> 'e'
                  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                  WHERE d.classid = 'pg_catalog.pg_type'::regclass
                                    AND d.objid = t.oid AND d.deptype = 'i')
                UNION ALL
                SELECT 'extension ' || e.extname FROM pg_catalog.pg_extension e
                WHERE e.extnamespace = %(nsp)s
                """
            )
        ]
        if found:
            raise UnsupportedSchemaObject(
                _(
                    "Schema %(schema)s cannot be cloned: it holds objects a clone cannot "
                    "reproduce (%(objects)s). Keep such objects in public, or create them "
                    "in every schema with a migration instead of in the template alone."
                )
                % {"schema": self.source, "objects": ", ".join(sorted(found))}
            )

    def _relations(self) -> None:
        for oid, name, kind, persistence, populated, options, definition in self._rows(
            """
            SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relispopulated,
                   array(SELECT ARRAY[o.option_name, o.option_value]
                         FROM pg_catalog.pg_options_to_table(c.reloptions) o),
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END
            FROM pg_catalog.pg_class c
            WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'v', 'm', 'S', 'i')
            ORDER BY c.oid
            """
        ):
            self.relations[oid] = _Relation(
                oid,
                name,
                kind,
                persistence == "u",
                populated,
                [(k, v) for k, v in options],
                definition,
            )
        for row in self._rows(
            """
            SELECT a.attrelid, a.attnum, a.attname,
                   pg_catalog.format_type(a.atttypid, a.atttypmod),
                   pg_catalog.format_type(a.atttypid, NULL),
                   a.attnotnull,
                   (SELECT k.conname FROM pg_catalog.pg_constraint k
                    WHERE k.conrelid = a.attrelid AND k.contype = 'n'
                      AND k.conkey[1] = a.attnum),
                   a.attidentity, a.attgenerated,
                   pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                   CASE WHEN a.attcollation <> t.typcollation THEN
                       (SELECT ARRAY[n.nspname, l.collname]
                        FROM pg_catalog.pg_collation l
                        JOIN pg_catalog.pg_namespace n ON n.oid = l.collnamespace
                        WHERE l.oid = a.attcollation) END,
                   CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END,
                   a.attcompression,
                   t.typnamespace = %(nsp)s OR EXISTS (
                       SELECT 1 FROM pg_catalog.pg_type e
                       WHERE e.oid = t.typelem AND e.typnamespace = %(nsp)s)
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'v', 'm')
              AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attrelid, a.attnum
            """
        ):
            (relid, attnum, name, type_, base, not_null, not_null_name, identity, generated,
             expression, collation, storage, compression, own_type) = row
            self.relations[relid].columns[attnum] = _Column(
                name,
                type_,
                base,
                not_null,
                not_null_name,
                identity,
                generated,
                expression,
                (collation[0], collation[1]) if collation else None,
                storage,
                _COMPRESSION.get(compression),
                own_type,
            )

    def _types(self) -> None:
        for oid, name, labels in self._rows(
            """
            SELECT t.oid, t.typname,
                   array(SELECT e.enumlabel FROM pg_catalog.pg_enum e
                         WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
            FROM pg_catalog.pg_type t
            WHERE t.typnamespace = %(nsp)s AND t.typtype = 'e' ORDER BY t.oid
            """
        ):
            self.types[oid] = name
            self._add(
                "early",
                "CREATE TYPE ",
                *_in_target(name),
                " AS ENUM (",
                sql.SQL(", ").join(sql.Literal(label) for label in labels),
                ")",
            )

    def _functions(self) -> None:
        rows = self._rows(
            """
            SELECT p.oid, p.proname, p.prokind, l.lanname,
                   pg_catalog.pg_get_function_arguments(p.oid),
                   pg_catalog.pg_get_function_identity_arguments(p.oid),
                   pg_catalog.pg_get_function_result(p.oid),
                   p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel,
                   p.procost, p.proretset, p.prorows, p.proconfig, p.prosrc, p.probin,
                   CASE WHEN p.prosqlbody IS NOT NULL
                        THEN pg_catalog.pg_get_function_sqlbody(p.oid) END,
                   (SELECT max(CASE WHEN c.relkind = 'r' THEN 1 ELSE 2 END)
                    FROM pg_catalog.pg_depend d
                    JOIN pg_catalog.pg_type t ON t.oid = d.refobjid
                    JOIN pg_catalog.pg_class c
                      ON c.oid = t.typrelid
                      OR c.oid = (SELECT e.typrelid FROM pg_catalog.pg_type e
                                  WHERE e.oid = t.typelem)
                    WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
                      AND d.refclassid = 'pg_catalog.pg_type'::regclass
                      AND c.relnamespace = %(nsp)s)
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace = %(nsp)s
            ORDER BY p.oid
            """
        )
        for (
            oid, name, kind, language, arguments, identity, result, volatility, strict,
            definer, leakproof, parallel, cost, retset, rows_estimate, config, source, binary,
            sql_body, stage,
        ) in rows:
            self.functions[oid] = (name, identity)
            procedure = kind == "p"
            pieces: list[Piece] = [
                "CREATE PROCEDURE " if procedure else "CREATE FUNCTION ",
                *_in_target(name),
                "(" + arguments + ")",
            ]
            if not procedure:
                pieces.append(" RETURNS " + result)
            pieces += [" LANGUAGE ", sql.Identifier(language)]
            if kind == "w":
                pieces.append(" WINDOW")
            if not procedure:
                pieces += [
                    " " + _VOLATILITY[volatility],
                    " STRICT" if strict else " CALLED ON NULL INPUT",
                    " LEAKPROOF" if leakproof else "",
                    " " + _PARALLEL[parallel],
                    sql.SQL(" COST {}").format(sql.Literal(cost)),
                ]
                if retset and rows_estimate:
                    pieces.append(sql.SQL(" ROWS {}").format(sql.Literal(rows_estimate)))
            if definer:
                pieces.append(" SECURITY DEFINER")
            for setting in config or ():
                pieces += self._function_setting(setting)
            if sql_body is not None:
                pieces += [" ", sql_body]
            elif binary:
                pieces.append(
                    sql.SQL(" AS {}, {}").format(sql.Literal(binary), sql.Literal(source))
                )
            else:
                pieces.append(sql.SQL(" AS {}").format(sql.Literal(source)))
            if stage:
                self.late_functions[stage].append(pieces)
            else:
                self._add("early", *pieces)

    def _late_functions(self, stage: int) -> None:
        for pieces in self.late_functions.get(stage, ()):
            self._add("views" if stage == _AFTER_VIEWS else "after_tables", *pieces)

    def _function_setting(self, setting: str) -> list[Piece]:
        """One ``SET`` clause of a function; ``proconfig`` stores ``name=value``.

        A pinned ``search_path`` (typically from ``SET search_path FROM CURRENT`` while the
        source was migrated) is split into schemas by PostgreSQL itself, and the source
        schema in it becomes the target.
        """
        name, _sep, value = setting.partition("=")
        if name != "search_path":
            return [sql.SQL(" SET {} TO {}").format(sql.Identifier(name), sql.Literal(value))]
        self.cursor.execute("SELECT pg_catalog.set_config('search_path', %s, true)", [value])
        self.cursor.execute("SELECT pg_catalog.current_schemas(false)")
        schemas = self.cursor.fetchone()[0]
        self.cursor.execute(
            sql.SQL("SET LOCAL search_path TO {}")
            .format(sql.Identifier(self.source))
            .as_string(self.context)
        )
        pieces: list[Piece] = [" SET search_path TO "]
        for position, schema in enumerate(schemas):
            if position:
                pieces.append(", ")
            pieces.append(TARGET if schema == self.source else sql.Identifier(schema))
        if not schemas:
            pieces.append(sql.Literal(""))
        return pieces

    def _sequences(self) -> None:
        """Standalone and serial sequences are created before the tables (defaults name
        them); identity sequences are made by ``ADD GENERATED`` with the source's name and
        options, so they keep their names even when the table was renamed since."""
        rows = self._rows(
            """
            SELECT c.oid, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
                   s.seqmin, s.seqmax, s.seqcache, s.seqcycle, d.deptype, d.refobjid,
                   d.refobjsubid
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
            LEFT JOIN pg_catalog.pg_depend d
                   ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
            WHERE c.relnamespace = %(nsp)s AND c.relkind = 'S'
            ORDER BY c.oid
            """
        )
        for oid, typname, start, inc, minv, maxv, cache, cycle, deptype, owner, attnum in rows:
            seq = self.relations[oid]
            options: list[Piece] = [
                sql.SQL(" INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} ").format(
                    *(sql.Literal(v) for v in (inc, minv, maxv, start, cache))
                ),
                "CYCLE" if cycle else "NO CYCLE",
            ]
            table = self.relations.get(owner)
            column = table.columns.get(attnum) if table is not None and table.kind == "r" else None
            if column is None:
                table = None
            if deptype == "i" and column is not None:
                self.identity[(owner, attnum)] = [
                    "(SEQUENCE NAME ", *_in_target(seq.name), *options, ")"
                ]
            else:
                self._add(
                    "early",
                    "CREATE UNLOGGED SEQUENCE " if seq.unlogged else "CREATE SEQUENCE ",
                    *_in_target(seq.name),
                    " AS " + typname,
                    *options,
                )
            if column is not None and deptype == "a":
                self._add(
                    "after_tables",
                    "ALTER SEQUENCE ",
                    *_in_target(seq.name),
                    " OWNED BY ",
                    *_in_target(table.name),
                    sql.SQL(".{}").format(sql.Identifier(column.name)),
                )
            self._sequence_reset(seq, inc, table, column)

    def _sequence_reset(
        self, seq: _Relation, increment: int, table: _Relation | None, column: _Column | None
    ) -> None:
        """Give the copy the source's position, or the copied rows' maximum when they went
        further (rows inserted with explicit ids), so the next insert cannot collide."""
        target_seq = sql.Literal(sql.Identifier(seq.name).as_string(self.context))
        source_seq = self._src(seq.name)
        if table is not None and column is not None and increment > 0 and (
            column.base_type in _INTEGER_TYPES
        ):
            statement: list[Piece] = [
                sql.SQL(
                    "SELECT pg_catalog.setval({seq}, GREATEST(s.last_value, m.top), "
                    "s.is_called OR coalesce(m.top >= s.last_value, false)) "
                    "FROM {src} s, (SELECT max({col}) AS top FROM "
                ).format(seq=target_seq, src=source_seq, col=sql.Identifier(column.name)),
                *_in_target(table.name),
                ") m",
            ]
        else:
            statement = [
                sql.SQL("SELECT pg_catalog.setval({}, s.last_value, s.is_called) FROM {} s").format(
                    target_seq, source_seq
                )
            ]
        self._add("reset_data", *statement)
        if table is not None and table.name == self.history_table:
            self._add("reset_bare", *statement)

    def _constraints(self) -> None:
        """Not-null constraints come with the columns and constraint triggers with the
        triggers; they are read here for their comments only."""
        for oid, name, kind, relid, definition, validated, referenced, index in self._rows(
            """
            SELECT k.oid, k.conname, k.contype, k.conrelid,
                   pg_catalog.pg_get_constraintdef(k.oid), k.convalidated, k.confrelid,
                   k.conindid
            FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
            WHERE c.relnamespace = %(nsp)s
            ORDER BY CASE k.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2
                                    WHEN 'c' THEN 3 ELSE 4 END,
                     k.oid
            """
        ):
            self.constraint_names[oid] = (name, relid)
            if kind in ("p", "u", "x", "c", "f"):
                self.constraints[relid].append(
                    _Constraint(name, kind, definition, validated, referenced, index)
                )

    def _bare_order(self) -> list[_Relation]:
        """Tables in an order where each is created after the tables its foreign keys
        reference (creation order when the references form a cycle), and which of their
        constraints a bare clone declares inline.

        Keys and checks go inline unless they may call a function created after the tables;
        a foreign key goes inline when its table and key exist by then (or it references its
        own table), and only valid ones: PostgreSQL marks every constraint declared in
        ``CREATE TABLE`` valid.
        """
        tables = {t.oid: t for t in self._of_kind("r")}
        may_call_late = bool(self.late_functions)
        key_index: dict[int, int] = {}
        for relid in tables:
            for con in self.constraints.get(relid, ()):
                if con.kind in ("p", "u"):
                    key_index[con.index] = relid
        graph = {
            relid: {
                con.referenced
                for con in self.constraints.get(relid, ())
                if con.kind == "f" and con.referenced in tables and con.referenced != relid
            }
            for relid in tables
        }
        try:
            order = list(TopologicalSorter(graph).static_order())
        except CycleError:
            order = list(tables)
        created: set[int] = set()
        for relid in order:
            for con in self.constraints.get(relid, ()):
                if con.kind in ("p", "u"):
                    inline = True
                elif con.kind in ("x", "c"):
                    inline = con.validated and not may_call_late
                else:
                    inline = con.validated and (
                        con.referenced not in tables
                        or (
                            key_index.get(con.index) == con.referenced
                            and (con.referenced == relid or con.referenced in created)
                        )
                    )
                if inline:
                    self.inline[relid].add(con.name)
            created.add(relid)
        return [tables[relid] for relid in order]

    def _tables(self) -> None:
        """Columns are written out rather than copied with ``LIKE``: ``LIKE`` keeps column
        types by identity, so a column of an enum defined in the source would keep the
        source's enum. ``format_type`` prints such a type unqualified, so it resolves to the
        target's copy. Defaults come later, with the identities (they may call functions
        whose signatures need the tables)."""
        for table in self._bare_order():
            columns = self._column_definitions(table)
            inline = [
                sql.SQL("CONSTRAINT {} {}").format(sql.Identifier(c.name), sql.SQL(c.definition))
                for c in self.constraints.get(table.oid, ())
                if c.name in self.inline[table.oid]
            ]
            self._create_table("tables_bare", table, columns + inline)
        for table in self._of_kind("r"):
            self._create_table("tables_data", table, self._column_definitions(table))
            self._copy_rows(table)

    def _column_definitions(self, table: _Relation) -> list[sql.Composable]:
        columns: list[sql.Composable] = []
        for column in table.columns.values():
            parts: list[sql.Composable] = [sql.Identifier(column.name), sql.SQL(column.type)]
            if column.collation:
                parts.append(sql.SQL("COLLATE {}").format(_ident(*column.collation)))
            if column.compression:
                parts.append(sql.SQL("COMPRESSION " + column.compression))
            if column.generated:
                parts.append(
                    sql.SQL("GENERATED ALWAYS AS ({}) {}").format(
                        sql.SQL(column.expression or ""),
                        sql.SQL(_GENERATED[column.generated]),
                    )
                )
            if column.not_null:
                if column.not_null_name:
                    parts.append(
                        sql.SQL("CONSTRAINT {}").format(sql.Identifier(column.not_null_name))
                    )
                parts.append(sql.SQL("NOT NULL"))
            columns.append(sql.SQL(" ").join(parts))
        return columns

    def _create_table(
        self, section: str, table: _Relation, elements: list[sql.Composable]
    ) -> None:
        self._add(
            section,
            "CREATE UNLOGGED TABLE " if table.unlogged else "CREATE TABLE ",
            *_in_target(table.name),
            " (",
            sql.SQL(", ").join(elements),
            ")",
            *self._options(table.options),
        )

    def _copy_rows(self, table: _Relation) -> None:
        copied = [c for c in table.columns.values() if not c.generated]
        if not copied:
            return
        # A value of the source's enum is not one of the target's: go through text.
        values = [
            sql.SQL("{}::text::{}").format(sql.Identifier(c.name), sql.SQL(c.type))
            if c.own_type
            else sql.Identifier(c.name)
            for c in copied
        ]
        copy: list[Piece] = [
            "INSERT INTO ",
            *_in_target(table.name),
            sql.SQL(" ({}) SELECT {} FROM {}").format(
                sql.SQL(", ").join(sql.Identifier(c.name) for c in copied),
                sql.SQL(", ").join(values),
                self._src(table.name),
            ),
        ]
        self._add("rows", *copy)
        if table.name == self.history_table:
            self._add("history", *copy)

    def _table_alterations(self) -> None:
        """Defaults, identities and storage for every clone; the keys and checks a bare
        clone could not declare inline; for a clone with rows, all keys and checks, after
        the rows."""
        for table in self._of_kind("r"):
            actions: list[list[Piece]] = []
            for attnum, column in table.columns.items():
                target_column = sql.Identifier(column.name)
                if column.identity and (table.oid, attnum) in self.identity:
                    actions.append(
                        [
                            sql.SQL("ALTER COLUMN {} ADD GENERATED {} AS IDENTITY ").format(
                                target_column,
                                sql.SQL("ALWAYS" if column.identity == "a" else "BY DEFAULT"),
                            ),
                            *self.identity[(table.oid, attnum)],
                        ]
                    )
                elif column.expression and not column.generated:
                    actions.append(
                        [
                            sql.SQL("ALTER COLUMN {} SET DEFAULT ").format(target_column),
                            column.expression,
                        ]
                    )
                if column.storage:
                    actions.append(
                        [
                            sql.SQL("ALTER COLUMN {} SET STORAGE {}").format(
                                target_column, sql.SQL(_STORAGE[column.storage])
                            )
                        ]
                    )
            keys = [c for c in self.constraints.get(table.oid, ()) if c.kind != "f"]
            self._alter_table("alter_data", table, actions + self._additions(keys))
            later = [c for c in keys if c.name not in self.inline[table.oid]]
            self._alter_table("alter_bare", table, actions + self._additions(later))

    @staticmethod
    def _additions(constraints: list[_Constraint]) -> list[list[Piece]]:
        return [
            [sql.SQL("ADD CONSTRAINT {} ").format(sql.Identifier(c.name)), c.definition]
            for c in constraints
        ]

    def _alter_table(self, section: str, table: _Relation, actions: list[list[Piece]]) -> None:
        if not actions:
            return
        pieces: list[Piece] = ["ALTER TABLE ", *_in_target(table.name), " "]
        for position, action in enumerate(actions):
            if position:
                pieces.append(", ")
            pieces += action
        self._add(section, *pieces)

    def _foreign_keys(self) -> None:
        for table in self._of_kind("r"):
            keys = [c for c in self.constraints.get(table.oid, ()) if c.kind == "f"]
            self._alter_table("fk_data", table, self._additions(keys))
            later = [c for c in keys if c.name not in self.inline[table.oid]]
            self._alter_table("fk_bare", table, self._additions(later))

    def _views(self) -> None:
        views = {r.oid: r for r in self._of_kind("v", "m")}
        if not views:
            return
        graph: dict[int, set[int]] = {oid: set() for oid in views}
        for view, referenced in self._rows(
            """
            SELECT DISTINCT r.ev_class, d.refobjid
            FROM pg_catalog.pg_rewrite r
            JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
            JOIN pg_catalog.pg_depend d
              ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
             AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class
            WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('v', 'm')
            """
        ):
            if referenced in views:
                graph[view].add(referenced)
        for oid in TopologicalSorter(graph).static_order():
            view = views[oid]
            # pg_get_viewdef ends the query with ';'; pg_dump strips it the same way.
            query = (view.definition or "").rstrip().removesuffix(";")
            if view.kind == "v":
                pieces: list[Piece] = ["CREATE VIEW ", *_in_target(view.name)]
                pieces += [*self._options(view.options), " AS ", query]
            else:
                pieces = ["CREATE MATERIALIZED VIEW ", *_in_target(view.name)]
                pieces += [*self._options(view.options), " AS ", query]
                pieces.append(" WITH DATA" if view.populated else " WITH NO DATA")
            self._add("views", *pieces)

    def _indexes(self) -> None:
        for (definition,) in self._rows(
            """
            SELECT pg_catalog.pg_get_indexdef(i.indexrelid, 0, true)
            FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
            WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'm')
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                              WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                                AND k.contype IN ('p', 'u', 'x'))
            ORDER BY i.indexrelid
            """
        ):
            self._add("indexes", definition)

    def _triggers(self) -> None:
        for oid, name, relid, definition, state in self._rows(
            """
            SELECT t.oid, t.tgname, t.tgrelid, pg_catalog.pg_get_triggerdef(t.oid, true),
                   t.tgenabled
            FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
            WHERE c.relnamespace = %(nsp)s AND NOT t.tgisinternal
            ORDER BY t.oid
            """
        ):
            self.triggers[oid] = (name, relid)
            self._add("finish", definition)
            if state in _TRIGGER_STATE:
                self._add(
                    "finish",
                    "ALTER TABLE ",
                    *_in_target(self.relations[relid].name),
                    sql.SQL(" {} TRIGGER {}").format(
                        sql.SQL(_TRIGGER_STATE[state]), sql.Identifier(name)
                    ),
                )

    def _rules(self) -> None:
        for oid, name, relid, definition in self._rows(
            """
            SELECT r.oid, r.rulename, r.ev_class, pg_catalog.pg_get_ruledef(r.oid, true)
            FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
            WHERE c.relnamespace = %(nsp)s AND r.rulename <> '_RETURN'
            ORDER BY r.oid
            """
        ):
            self.rules[oid] = (name, relid)
            self._add("finish", definition.rstrip().removesuffix(";"))

    def _comments(self) -> None:
        oids = [
            *self.relations,
            *self.constraint_names,
            *self.functions,
            *self.triggers,
            *self.rules,
            *self.types,
        ]
        if not oids:
            return
        self.cursor.execute(
            """
            SELECT d.classoid::regclass::text, d.objoid, d.objsubid, d.description
            FROM pg_catalog.pg_description d
            WHERE d.objoid = ANY(%s::oid[])
            ORDER BY d.objoid, d.objsubid
            """,
            [oids],
        )
        for catalog, oid, subid, text in self.cursor.fetchall():
            target = self._comment_target(catalog, oid, subid)
            if target is not None:
                self._add(
                    "finish",
                    "COMMENT ON ",
                    *target,
                    sql.SQL(" IS {}").format(sql.Literal(text)),
                )

    def _comment_target(self, catalog: str, oid: int, subid: int) -> list[Piece] | None:
        if catalog == "pg_class" and oid in self.relations:
            rel = self.relations[oid]
            if not subid:
                return [_RELKIND_WORD[rel.kind] + " ", *_in_target(rel.name)]
            column = rel.columns.get(subid)
            if column is None:
                return None
            return [
                "COLUMN ",
                *_in_target(rel.name),
                sql.SQL(".{}").format(sql.Identifier(column.name)),
            ]
        if catalog == "pg_constraint" and oid in self.constraint_names:
            name, relid = self.constraint_names[oid]
            on = self.relations[relid].name
            return [sql.SQL("CONSTRAINT {} ON ").format(sql.Identifier(name)), *_in_target(on)]
        if catalog == "pg_proc" and oid in self.functions:
            name, identity = self.functions[oid]
            return ["ROUTINE ", *_in_target(name), "(" + identity + ")"]
        if catalog == "pg_trigger" and oid in self.triggers:
            name, relid = self.triggers[oid]
            on = self.relations[relid].name
            return [sql.SQL("TRIGGER {} ON ").format(sql.Identifier(name)), *_in_target(on)]
        if catalog == "pg_rewrite" and oid in self.rules:
            name, relid = self.rules[oid]
            on = self.relations[relid].name
            return [sql.SQL("RULE {} ON ").format(sql.Identifier(name)), *_in_target(on)]
        if catalog == "pg_type" and oid in self.types:
            return ["TYPE ", *_in_target(self.types[oid])]
        return None
