"""``COMMENT ON`` for every commented object the clone creates.

Comments are addressed by oid in ``pg_description``; this maps each back to the object's name
in the target (a column by its table, a constraint, trigger or rule by its table, a routine
by its argument types). A comment on something the clone does not create is left out.
"""

from __future__ import annotations

from psycopg import sql

from .model import Catalog, Comment
from .script import Piece, Statement, in_target, statement

_RELKIND_WORD = {
    "r": "TABLE",
    "v": "VIEW",
    "m": "MATERIALIZED VIEW",
    "S": "SEQUENCE",
    "i": "INDEX",
}


def render_comments(catalog: Catalog) -> list[Statement]:
    targets = _Targets(catalog)
    statements: list[Statement] = []
    for comment in catalog.comments:
        target = targets.of(comment)
        if target is not None:
            statements.append(
                statement(
                    "finish",
                    "COMMENT ON ",
                    *target,
                    sql.SQL(" IS {}").format(sql.Literal(comment.text)),
                )
            )
    return statements


class _Targets:
    """The objects a comment may be on, by oid, per catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.relations = catalog.relations_by_oid
        self.columns = catalog.column
        self.constraints = {c.oid: (c.name, c.table) for c in catalog.constraints}
        self.triggers = {t.oid: (t.name, t.table) for t in catalog.triggers}
        self.rules = {r.oid: (r.name, r.table) for r in catalog.rules}
        self.functions = {f.oid: (f.name, f.identity_arguments) for f in catalog.functions}
        self.types = {t.oid: t.name for t in catalog.types}

    def of(self, comment: Comment) -> list[Piece] | None:
        oid = comment.oid
        if comment.catalog == "pg_class" and oid in self.relations:
            relation = self.relations[oid]
            if not comment.subid:
                return [_RELKIND_WORD[relation.kind] + " ", *in_target(relation.name)]
            column = self.columns(oid, comment.subid)
            if column is None:
                return None
            return [
                "COLUMN ",
                *in_target(relation.name),
                sql.SQL(".{}").format(sql.Identifier(column.name)),
            ]
        for catalog, objects, word in (
            ("pg_constraint", self.constraints, "CONSTRAINT"),
            ("pg_trigger", self.triggers, "TRIGGER"),
            ("pg_rewrite", self.rules, "RULE"),
        ):
            if comment.catalog == catalog and oid in objects:
                name, table = objects[oid]
                return [
                    sql.SQL(word + " {} ON ").format(sql.Identifier(name)),
                    *in_target(self.relations[table].name),
                ]
        if comment.catalog == "pg_proc" and oid in self.functions:
            name, identity = self.functions[oid]
            return ["ROUTINE ", *in_target(name), "(" + identity + ")"]
        if comment.catalog == "pg_type" and oid in self.types:
            return ["TYPE ", *in_target(self.types[oid])]
        return None
