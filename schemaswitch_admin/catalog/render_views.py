"""Views and materialized views, from ``pg_get_viewdef``, in ``ordering.view_order``.

They come after the tables, keys and defaults (a view's query may need a key for its
``GROUP BY``) and before the indexes, which a materialized view may carry too.
"""

from __future__ import annotations

from .model import Relation
from .script import Piece, Statement, in_target, statement, with_options


def render_views(views: tuple[Relation, ...]) -> list[Statement]:
    statements: list[Statement] = []
    for view in views:
        # pg_get_viewdef ends the query with ';'; pg_dump strips it the same way.
        query = (view.definition or "").rstrip().removesuffix(";")
        if view.kind == "v":
            pieces: list[Piece] = ["CREATE VIEW ", *in_target(view.name)]
            pieces += [*with_options(view.options), " AS ", query]
        else:
            pieces = ["CREATE MATERIALIZED VIEW ", *in_target(view.name)]
            pieces += [*with_options(view.options), " AS ", query]
            pieces.append(" WITH DATA" if view.populated else " WITH NO DATA")
        statements.append(statement("views", *pieces))
    return statements
