"""``CREATE FUNCTION`` and ``CREATE PROCEDURE`` from ``pg_proc``'s columns.

PostgreSQL has no deparser that leaves a function's own schema out (``pg_get_functiondef``
qualifies the name), so the statement is assembled from the catalog: arguments, result and
body as PostgreSQL prints them, attributes from their one-letter codes. Bodies are copied as
they are: they run with the target's ``search_path`` or name their objects themselves. A
``search_path`` pinned on the function is re-pointed from the source to the target.
"""

from __future__ import annotations

from psycopg import sql

from .model import Catalog, Function, FunctionSetting
from .ordering import Stage, function_stage
from .script import TARGET, Piece, Statement, in_target, statement

_VOLATILITY = {"i": "IMMUTABLE", "s": "STABLE", "v": "VOLATILE"}
_PARALLEL = {"s": "PARALLEL SAFE", "r": "PARALLEL RESTRICTED", "u": "PARALLEL UNSAFE"}
_SECTION = {Stage.EARLY: "early", Stage.AFTER_TABLES: "after_tables", Stage.AFTER_VIEWS: "views"}


def render_functions(catalog: Catalog, stage: Stage) -> list[Statement]:
    """The functions created at ``stage`` (see ``ordering.function_stage``)."""
    return [
        statement(_SECTION[stage], *function_definition(function, catalog.source))
        for function in catalog.functions
        if function_stage(function) is stage
    ]


def function_definition(function: Function, source: str) -> list[Piece]:
    procedure = function.kind == "p"
    pieces: list[Piece] = [
        "CREATE PROCEDURE " if procedure else "CREATE FUNCTION ",
        *in_target(function.name),
        "(" + function.arguments + ")",
    ]
    if not procedure:
        pieces.append(" RETURNS " + function.result)
    pieces += [" LANGUAGE ", sql.Identifier(function.language)]
    if function.kind == "w":
        pieces.append(" WINDOW")
    if not procedure:
        pieces += [
            " " + _VOLATILITY[function.volatility],
            " STRICT" if function.strict else " CALLED ON NULL INPUT",
            " LEAKPROOF" if function.leakproof else "",
            " " + _PARALLEL[function.parallel],
            sql.SQL(" COST {}").format(sql.Literal(function.cost)),
        ]
        if function.returns_set and function.rows:
            pieces.append(sql.SQL(" ROWS {}").format(sql.Literal(function.rows)))
    if function.security_definer:
        pieces.append(" SECURITY DEFINER")
    for setting in function.settings:
        pieces += _setting(setting, source)
    if function.sql_body is not None:
        pieces += [" ", function.sql_body]
    elif function.binary:
        pieces.append(
            sql.SQL(" AS {}, {}").format(
                sql.Literal(function.binary), sql.Literal(function.source)
            )
        )
    else:
        pieces.append(sql.SQL(" AS {}").format(sql.Literal(function.source)))
    return pieces


def _setting(setting: FunctionSetting, source: str) -> list[Piece]:
    """One ``SET`` clause; in a pinned ``search_path`` the source schema becomes the target."""
    if setting.path is None:
        return [
            sql.SQL(" SET {} TO {}").format(
                sql.Identifier(setting.name), sql.Literal(setting.value)
            )
        ]
    pieces: list[Piece] = [" SET search_path TO "]
    for position, schema in enumerate(setting.path):
        if position:
            pieces.append(", ")
        pieces.append(TARGET if schema == source else sql.Identifier(schema))
    if not setting.path:
        pieces.append(sql.Literal(""))
    return pieces
