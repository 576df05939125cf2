"""A django-debug-toolbar panel: which schema a request ran in, why, and what it cost.

Add ``"schemaswitch_admin.panels.SchemaPanel"`` to ``DEBUG_TOOLBAR_PANELS``. This module needs
django-debug-toolbar (5 or newer; the ``dev`` extra installs it); nothing else in the package
imports it.

The panel reports what PostgreSQL says, not what the app intends. While the request runs, an
execute wrapper (Django's documented hook) reads the ``search_path`` back after the first
query run in each schema, so the reading happens inside that schema's context, right where the
queries ran. It reads through the driver's own cursor: through Django's, the backend could
send a ``SET`` first, and the reading would change what it observes. The path left on the
connection after the request is read the same way. The ``SET search_path`` count is the
difference of the backend's counter around the request. Like most panels it is sync only;
the toolbar leaves it out of requests served by ASGI.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import psycopg
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import conf
from .access import uses_every_schema
from .entering import path_not_needed, schema_db_alias
from .state import get_active_schema

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    from .backends.postgresql.wrapper import SchemaSwitchWrapperMixin

try:
    from debug_toolbar.panels import Panel
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "schemaswitch_admin.panels.SchemaPanel needs django-debug-toolbar: "
        "pip install 'django-debug-toolbar>=5'."
    ) from exc

__all__ = ["SchemaPanel"]

#: How the request layer came to the request's schema (``request.schema_choice_source``).
CHOICE_SOURCES: dict[str | None, Any] = {
    "session": _("kept from the session (chosen on an earlier request)"),
    "url": _("bound by the URL (this tab only)"),
    "query": _("bound by the “?__schema=” query parameter (this request only)"),
    "header": _("named by the X-Change-Schema header"),
    "switch": _("switched by the switch view"),
    "auto": _("selected automatically: the user's only schema"),
    None: _("no schema chosen"),
}

_READ_PATH = "SELECT pg_catalog.current_setting('search_path'), pg_catalog.current_schemas(false)"


def _uses_schema_backend(conn: object) -> TypeIs[SchemaSwitchWrapperMixin]:
    from .backends.postgresql.wrapper import is_schemaswitch_connection

    return is_schemaswitch_connection(conn)


def read_search_path(conn: Any) -> dict[str, Any]:
    """The path on ``conn`` as PostgreSQL has it: the setting and the schemas in effect."""
    raw = conn.connection
    if raw is None or raw.closed:
        return {"open": False}
    try:
        with raw.cursor() as cursor:
            cursor.execute(_READ_PATH)
            setting, effective = cursor.fetchone()
    except psycopg.Error as exc:  # e.g. an aborted transaction, which only takes a rollback
        return {"open": True, "error": str(exc)}
    return {"open": True, "setting": setting, "effective": list(effective)}


class _PathObserver:
    """Execute wrapper that reads the path back once per (connection, active schema)."""

    def __init__(self) -> None:
        self.in_schema: dict[tuple[str, str], dict[str, Any]] = {}
        self.without_schema: dict[str, int] = {}

    def __call__(self, execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        conn = context["connection"]
        schema = get_active_schema()
        if schema is None:
            self.without_schema[conn.alias] = self.without_schema.get(conn.alias, 0) + 1
            return result
        seen = self.in_schema.get((conn.alias, schema))
        if seen is None:
            seen = {"alias": conn.alias, "schema": schema, "queries": 0}
            seen.update(read_search_path(conn))
            if "effective" in seen:
                seen["matches"] = seen["effective"] == [schema, conf.SHARED_SCHEMA]
            self.in_schema[(conn.alias, schema)] = seen
        seen["queries"] += 1
        return result


class SchemaPanel(Panel):
    """Active schema, how it was chosen, the user's memberships, the ``search_path`` read
    back from PostgreSQL and the ``SET search_path`` statements the request cost."""

    # Panel's own methods carry no annotations (hence the no-untyped-call ignores below).
    title = _("Schema")
    template = "schemaswitch_admin/panels/schema.html"

    @property
    def nav_subtitle(self) -> str:
        stats = self.get_stats()  # type: ignore[no-untyped-call]
        if not stats:
            return ""
        schema = stats.get("schema")
        name = schema["name"] if schema else _("no schema")
        sets = stats.get("search_path_sets", 0)
        return ngettext("%(schema)s, %(count)d SET", "%(schema)s, %(count)d SETs", sets) % {
            "schema": name,
            "count": sets,
        }

    def process_request(self, request: HttpRequest) -> HttpResponse:
        observer = _PathObserver()
        watched = [conn for conn in connections.all() if _uses_schema_backend(conn)]
        before = {conn.alias: conn.search_path_sets for conn in watched}
        with ExitStack() as stack:
            for conn in watched:
                stack.enter_context(conn.execute_wrapper(observer))
            response: HttpResponse = super().process_request(request)  # type: ignore[no-untyped-call]
        self.record_stats(  # type: ignore[no-untyped-call]
            {
                "in_schema": list(observer.in_schema.values()),
                "connections": [
                    {
                        "alias": conn.alias,
                        "sets": conn.search_path_sets - before[conn.alias],
                        "queries_without_schema": observer.without_schema.get(conn.alias, 0),
                        "after": read_search_path(conn),
                    }
                    for conn in watched
                ],
                "search_path_sets": sum(
                    conn.search_path_sets - before[conn.alias] for conn in watched
                ),
            }
        )
        return response

    def generate_stats(self, request: HttpRequest, response: HttpResponse) -> None:
        schema = getattr(request, "schema", None)
        source = getattr(request, "schema_choice_source", None)
        user: Any = getattr(request, "user", None)
        authenticated = bool(getattr(user, "is_authenticated", False))
        self.record_stats(  # type: ignore[no-untyped-call]
            {
                "middleware_ran": hasattr(request, "schema_choice_source"),
                "schema": None
                if schema is None
                else {
                    "name": schema.name,
                    "display_name": str(schema),
                    "is_active": schema.is_active,
                },
                "source": source,
                "source_label": str(CHOICE_SOURCES.get(source, source)),
                "username": user.get_username() if authenticated else None,
                "superuser_all": authenticated and uses_every_schema(user),
                "memberships": _memberships(user, schema) if authenticated else [],
            }
        )


def _memberships(user: Any, current: Any) -> list[dict[str, Any]]:
    from .models import Membership

    using = schema_db_alias()
    # Memberships are shared rows: reading them needs no search_path, so the panel's own
    # query neither sends a SET nor changes the path it has just reported.
    with path_not_needed(using):
        rows = list(
            Membership.objects.using(using)
            .filter(user=user)
            .select_related("schema")
            .order_by("schema__name")
        )
    return [
        {
            "name": m.schema.name,
            "display_name": str(m.schema),
            "role": str(m.get_role_display()),
            "schema_active": m.schema.is_active,
            "last_used_at": m.last_used_at.isoformat() if m.last_used_at else None,
            "current": current is not None and m.schema.pk == current.pk,
        }
        for m in rows
    ]
