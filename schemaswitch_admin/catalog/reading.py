"""Reading the source schema's catalog into ``model.Catalog``, in a fixed number of statements.

This is the only part of the clone that talks to PostgreSQL before the script runs. The
cursor must be inside a transaction with ``search_path`` set to only the source schema: that
makes the deparsers (``pg_get_indexdef``, ``pg_get_constraintdef``, ``pg_get_viewdef``,
``pg_get_expr``, ``format_type``...) print the source's own objects unqualified and
everything else (``public.auth_user``) qualified, so the script resolves them in the target.
Index, trigger and rule definitions are asked for in "pretty" mode, the only mode in which
those deparsers leave a visible table unqualified; the text is executed at once by the same
server, so the caveat about reloading pretty output in later versions does not apply.

One statement per kind of object, however many objects there are (plus three per function
that pins its own ``search_path``, split into schemas by PostgreSQL itself), so the cost of a
read follows the source schema's size and never the number of schemas in the database.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from psycopg import sql
from psycopg.abc import AdaptContext

from .model import (
    Catalog,
    Column,
    Comment,
    Constraint,
    EnumType,
    Function,
    FunctionSetting,
    Index,
    Relation,
    Rule,
    Sequence,
    Trigger,
)


class UnsupportedSchemaObject(RuntimeError):
    """The source schema holds objects a clone cannot reproduce faithfully.

    Raised instead of making a clone that silently lacks them.
    """


_UNSUPPORTED = """
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

_RELATIONS = """
    SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relispopulated,
           array(SELECT ARRAY[o.option_name, o.option_value]
                 FROM pg_catalog.pg_options_to_table(c.reloptions) o),
           CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END
    FROM pg_catalog.pg_class c
    WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'v', 'm', 'S', 'i')
    ORDER BY c.oid
"""

_COLUMNS = """
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

_CONSTRAINTS = """
    SELECT k.oid, k.conname, k.contype, k.conrelid,
           pg_catalog.pg_get_constraintdef(k.oid), k.convalidated, k.confrelid,
           k.conindid
    FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
    WHERE c.relnamespace = %(nsp)s
    ORDER BY CASE k.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2
                            WHEN 'c' THEN 3 ELSE 4 END,
             k.oid
"""

_TYPES = """
    SELECT t.oid, t.typname,
           array(SELECT e.enumlabel FROM pg_catalog.pg_enum e
                 WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
    FROM pg_catalog.pg_type t
    WHERE t.typnamespace = %(nsp)s AND t.typtype = 'e' ORDER BY t.oid
"""

# The last column: whether the signature uses a row type of the schema, 1 for a table's, 2
# when any is a view's or materialized view's.
_FUNCTIONS = """
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
_ROW_TYPE_USE = {1: "table", 2: "view"}

_SEQUENCES = """
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

_VIEW_REFERENCES = """
    SELECT DISTINCT r.ev_class, d.refobjid
    FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
    JOIN pg_catalog.pg_depend d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class
    WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('v', 'm')
"""

# Indexes that back a key or exclusion constraint come with the constraint.
_INDEXES = """
    SELECT i.indexrelid, i.indrelid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true)
    FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
    WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'm')
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                      WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                        AND k.contype IN ('p', 'u', 'x'))
    ORDER BY i.indexrelid
"""

_TRIGGERS = """
    SELECT t.oid, t.tgname, t.tgrelid, pg_catalog.pg_get_triggerdef(t.oid, true),
           t.tgenabled
    FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = %(nsp)s AND NOT t.tgisinternal
    ORDER BY t.oid
"""

_RULES = """
    SELECT r.oid, r.rulename, r.ev_class, pg_catalog.pg_get_ruledef(r.oid, true)
    FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
    WHERE c.relnamespace = %(nsp)s AND r.rulename <> '_RETURN'
    ORDER BY r.oid
"""

_COMMENTS = """
    SELECT d.classoid::regclass::text, d.objoid, d.objsubid, d.description
    FROM pg_catalog.pg_description d
    WHERE d.objoid = ANY(%(oids)s::oid[])
    ORDER BY d.objoid, d.objsubid
"""


def read_catalog(
    cursor: Any, source: str, namespace: int, context: AdaptContext | None
) -> Catalog:
    """Read schema ``source`` (oid ``namespace``) through ``cursor``, whose transaction has
    only ``source`` on its ``search_path``; ``context`` quotes the path when it is put back.

    Raises ``UnsupportedSchemaObject`` before reading anything else when the schema holds
    objects a clone would silently lack.
    """
    reader = _Reader(cursor, source, namespace, context)
    reader.refuse_unsupported()
    relations = reader.relations()
    constraints = reader.constraints()
    types = reader.types()
    functions = reader.functions()
    sequences = reader.sequences(relations)
    has_views = any(r.kind in ("v", "m") for r in relations)
    view_references = reader.view_references() if has_views else ()
    indexes = reader.indexes()
    triggers = reader.triggers()
    rules = reader.rules()
    oids = [
        *(r.oid for r in relations),
        *(c.oid for c in constraints),
        *(f.oid for f in functions),
        *(t.oid for t in triggers),
        *(r.oid for r in rules),
        *(t.oid for t in types),
    ]
    return Catalog(
        source=source,
        relations=relations,
        constraints=constraints,
        types=types,
        functions=functions,
        sequences=sequences,
        view_references=view_references,
        indexes=indexes,
        triggers=triggers,
        rules=rules,
        comments=reader.comments(oids) if oids else (),
    )


class _Reader:
    """The statements of one read; each method runs one of them (``functions`` three more
    per pinned ``search_path``)."""

    def __init__(
        self, cursor: Any, source: str, namespace: int, context: AdaptContext | None
    ) -> None:
        self.cursor = cursor
        self.source = source
        self.namespace = namespace
        self.context = context

    def _rows(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        self.cursor.execute(query, {"nsp": self.namespace, **params})
        rows: list[tuple[Any, ...]] = self.cursor.fetchall()
        return rows

    def refuse_unsupported(self) -> None:
        found = [row[0] for row in self._rows(_UNSUPPORTED)]
        if found:
            raise UnsupportedSchemaObject(
                _(
                    "Schema %(schema)s cannot be cloned: it holds objects a clone cannot "
                    "reproduce (%(objects)s). Keep such objects in public, or create them "
                    "in every schema with a migration instead of in the template alone."
                )
                % {"schema": self.source, "objects": ", ".join(sorted(found))}
            )

    def relations(self) -> tuple[Relation, ...]:
        rows = self._rows(_RELATIONS)
        columns: dict[int, list[Column]] = {}
        for row in self._rows(_COLUMNS):
            (relid, attnum, name, type_, base, not_null, not_null_name, identity, generated,
             expression, collation, storage, compression, own_type) = row
            # Positional: one per column, and keywords make a named tuple slower to build.
            columns.setdefault(relid, []).append(
                Column(
                    attnum,
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
                    compression or None,
                    own_type,
                )
            )
        return tuple(
            [
                Relation(
                    oid,
                    name,
                    kind,
                    persistence == "u",
                    populated,
                    tuple([(k, v) for k, v in options]),
                    definition,
                    tuple(columns.get(oid, ())),
                )
                for oid, name, kind, persistence, populated, options, definition in rows
            ]
        )

    def constraints(self) -> tuple[Constraint, ...]:
        return tuple(
            Constraint(oid, name, kind, relid, definition, validated, referenced, index)
            for oid, name, kind, relid, definition, validated, referenced, index in self._rows(
                _CONSTRAINTS
            )
        )

    def types(self) -> tuple[EnumType, ...]:
        return tuple(
            EnumType(oid, name, tuple(labels)) for oid, name, labels in self._rows(_TYPES)
        )

    def functions(self) -> tuple[Function, ...]:
        found = []
        for (
            oid, name, kind, language, arguments, identity, result, volatility, strict,
            definer, leakproof, parallel, cost, retset, rows_estimate, config, source, binary,
            sql_body, row_types,
        ) in self._rows(_FUNCTIONS):
            found.append(
                Function(
                    oid=oid,
                    name=name,
                    kind=kind,
                    language=language,
                    arguments=arguments,
                    identity_arguments=identity,
                    result=result,
                    volatility=volatility,
                    strict=strict,
                    security_definer=definer,
                    leakproof=leakproof,
                    parallel=parallel,
                    cost=cost,
                    returns_set=retset,
                    rows=rows_estimate,
                    settings=tuple(self._setting(setting) for setting in config or ()),
                    source=source,
                    binary=binary,
                    sql_body=sql_body,
                    uses_row_type=_ROW_TYPE_USE.get(row_types),
                )
            )
        return tuple(found)

    def _setting(self, setting: str) -> FunctionSetting:
        """``proconfig`` stores ``name=value``. A pinned ``search_path`` (typically from
        ``SET search_path FROM CURRENT`` while the source was migrated) is split into schemas
        by PostgreSQL itself, then the source alone is put back on the path."""
        name, _sep, value = setting.partition("=")
        if name != "search_path":
            return FunctionSetting(name, value)
        self.cursor.execute("SELECT pg_catalog.set_config('search_path', %s, true)", [value])
        self.cursor.execute("SELECT pg_catalog.current_schemas(false)")
        schemas = self.cursor.fetchone()[0]
        self.cursor.execute(
            sql.SQL("SET LOCAL search_path TO {}")
            .format(sql.Identifier(self.source))
            .as_string(self.context)
        )
        return FunctionSetting(name, value, tuple(schemas))

    def sequences(self, relations: tuple[Relation, ...]) -> tuple[Sequence, ...]:
        by_oid = {r.oid: r for r in relations}
        return tuple(
            Sequence(
                oid=oid,
                name=by_oid[oid].name,
                type=typname,
                start=start,
                increment=increment,
                minimum=minimum,
                maximum=maximum,
                cache=cache,
                cycle=cycle,
                unlogged=by_oid[oid].unlogged,
                ownership=deptype,
                owner_table=owner,
                owner_column=attnum,
            )
            for (
                oid, typname, start, increment, minimum, maximum, cache, cycle, deptype, owner,
                attnum,
            ) in self._rows(_SEQUENCES)
        )

    def view_references(self) -> tuple[tuple[int, int], ...]:
        return tuple((view, referenced) for view, referenced in self._rows(_VIEW_REFERENCES))

    def indexes(self) -> tuple[Index, ...]:
        return tuple(
            Index(oid, table, definition) for oid, table, definition in self._rows(_INDEXES)
        )

    def triggers(self) -> tuple[Trigger, ...]:
        return tuple(
            Trigger(oid, name, relid, definition, state)
            for oid, name, relid, definition, state in self._rows(_TRIGGERS)
        )

    def rules(self) -> tuple[Rule, ...]:
        return tuple(
            Rule(oid, name, relid, definition)
            for oid, name, relid, definition in self._rows(_RULES)
        )

    def comments(self, oids: list[int]) -> tuple[Comment, ...]:
        return tuple(
            Comment(catalog, oid, subid, text)
            for catalog, oid, subid, text in self._rows(_COMMENTS, oids=oids)
        )
