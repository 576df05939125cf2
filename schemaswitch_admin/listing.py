"""Bounded lists of the schemas a user may use, for pages that show them (the header
selector and the chooser).

A superuser may use every schema, and a database may hold ten thousand: no page lists them
all. Each list is one ranked query over ``access.usable_schemas`` (the one access policy),
cut to a page by PostgreSQL, so its cost in statements does not depend on the number of
schemas. The rank puts the active schema first, then the schemas the user used most
recently, then the rest by name.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
    When,
)

from .access import usable_schemas

#: Longer searches are cut: no schema name or display name is longer (63 and 200 characters).
MAX_SEARCH_LENGTH = 200


def clean_search(value: Any) -> str:
    """The search text as PostgreSQL may receive it: a string without NUL characters (which
    PostgreSQL refuses in text) and of bounded length. Anything else searches nothing."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()[:MAX_SEARCH_LENGTH]


def ranked_schemas(user: Any, active_name: str | None = None, search: str = "") -> QuerySet[Any]:
    """The schemas ``user`` may use, annotated with ``last_used_at`` (the user's own
    membership's, ``None`` without one) and ``is_current``, and ordered: the active schema,
    then the most recently used, then by name. ``search`` keeps those whose name or display
    name contains it (case-insensitive)."""
    # The user's membership row, if any, joined once (LEFT JOIN ... AND user_id = ...): a
    # superuser's list is every schema, with or without a membership. (user, schema) is
    # unique, so the join adds no rows.
    queryset = usable_schemas(user).annotate(
        own_membership=FilteredRelation(
            "memberships", condition=Q(memberships__user=getattr(user, "pk", None))
        ),
        last_used_at=F("own_membership__last_used_at"),
        is_current=Case(
            When(name=active_name or "", then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(display_name__icontains=search))
    return queryset.order_by(
        F("is_current").desc(), F("last_used_at").desc(nulls_last=True), "name"
    )


def selector_schemas(user: Any, active_name: str | None, limit: int) -> tuple[list[Any], bool]:
    """At most ``limit`` schemas for the header's selector, by name, and whether the user
    may use more than those.

    One statement, and it reads no more than about ``3 * limit`` rows whatever the number
    of schemas: the union of the active schema, the ``limit + 1`` most recently used and the
    ``limit + 1`` first by name, each found through an index, ranked here. (Ranking all the
    usable schemas in PostgreSQL would sort every one of them on every admin page.) The
    ``limit + 1``-th row by name tells whether there are more.
    """
    ranked = ranked_schemas(user, active_name).order_by()
    parts = [
        ranked.filter(last_used_at__isnull=False).order_by(F("last_used_at").desc())[: limit + 1],
        ranked.order_by("name")[: limit + 1],
    ]
    if active_name:
        parts.insert(0, ranked.filter(name=active_name)[:1])
    rows = {schema.pk: schema for schema in parts[0].union(*parts[1:], all=True)}
    more = len(rows) > limit
    chosen = sorted(rows.values(), key=_rank)[:limit]
    return sorted(chosen, key=lambda schema: schema.name), more


def _rank(schema: Any) -> tuple[bool, bool, float, str]:
    """The order of ``ranked_schemas``: the active one, the most recently used, by name."""
    used = schema.last_used_at
    return (
        not schema.is_current,
        used is None,
        -used.timestamp() if used is not None else 0.0,
        schema.name,
    )
