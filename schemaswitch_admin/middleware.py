"""Runs each request in the schema its URL is bound to, else the one its user chose,
checked against their memberships.

Place it after ``SessionMiddleware``, ``CsrfViewMiddleware`` and ``AuthenticationMiddleware``.
The schema stays active for the whole response, and a streaming body consumed after the
middleware has returned runs in a context of its own copied from the request's (see
``streaming``); the schema is deactivated afterwards whatever happens (``schema_context``
restores the previous state on exceptions too). A URL bound to a schema (``/@acme/...``) is
resolved without its marker, and answered with links bound to the same schema.

Per request it sets ``request.schema`` (the schema model instance, or ``None``),
``request.schema_choice_source`` (``"url"``, ``"query"``, ``"header"``, ``"session"``,
``"auto"``, ``"switch"`` or ``None``) and ``request.schema_marker`` (the name in the URL's
marker, or ``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase
from django.urls import get_script_prefix, set_script_prefix

from . import conf
from .guard import conflicting_write, csrf_refusal
from .responses import safe_redirect
from .selection import (
    HEADER,
    QUERY_PARAMETER,
    SESSION_KEY,
    choose_for_request,
    commit_pending,
    deliver_notices,
    has_pending_choice,
    is_unsafe,
)
from .state import schema_context
from .streaming import keep_context_for_body
from .urlmarker import marked_prefix, request_url_in, split_marker

__all__ = ["HEADER", "QUERY_PARAMETER", "SESSION_KEY", "SchemaSwitchMiddleware", "is_navigation"]


def _keep_schema_for_body(response: HttpResponseBase, name: str | None) -> HttpResponseBase:
    """Called inside the request's ``schema_context``: a streamed body keeps that context."""
    return keep_context_for_body(response)


class SchemaSwitchMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        prefix = _enter_url(request)
        try:
            answer = choose_for_request(request)
            if answer is not None:
                return answer
            name = _schema_name(request)
            _bind_links(request, prefix)
            with schema_context(name):
                response = self.get_response(request)
                return _keep_schema_for_body(response, name)
        finally:
            set_script_prefix(prefix)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        prefix = _enter_url(request)
        try:
            # The choice reads the session, the user and the schema row: ORM work, so it runs
            # in the request's sync thread, on the same connection the views' queries will use.
            answer = await sync_to_async(choose_for_request)(request)
            if answer is not None:
                return answer
            name = _schema_name(request)
            _bind_links(request, prefix)
            with schema_context(name):
                response = await self.get_response(request)
                return _keep_schema_for_body(response, name)
        finally:
            set_script_prefix(prefix)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        # Notices queued before MessageMiddleware ran (when it comes after this middleware).
        deliver_notices(request)
        conflict = conflicting_write(request, view_func)
        if conflict is not None:
            return conflict
        if has_pending_choice(request):
            # Runs after the URL resolved, so CsrfViewMiddleware has judged the request (when
            # it comes first); checked here again in case it does not, or the view is exempt.
            if is_unsafe(request):
                refused = csrf_refusal(request)
                if refused is not None:
                    return refused
            commit_pending(request)
        if _should_bind_navigation(request):
            return safe_redirect(request, request_url_in(request, request.schema.name))  # type: ignore[attr-defined]
        return None


def _schema_name(request: HttpRequest) -> str | None:
    schema = getattr(request, "schema", None)
    return None if schema is None else schema.name


def _enter_url(request: HttpRequest) -> str:
    """Set the URL's schema marker aside (``request.schema_marker``) and strip it from
    ``path_info`` so URL resolution sees the project's own paths; ``request.path`` keeps it.
    Returns the script prefix to restore after the response."""
    prefix = get_script_prefix()
    request.schemaswitch_script_prefix = prefix  # type: ignore[attr-defined]
    marked, rest = split_marker(request.path_info)
    request.schema_marker = marked  # type: ignore[attr-defined]
    if marked is not None:
        request.path_info = rest
    return prefix


#: Sources that bind a request to its schema rather than following the session.
BOUND_SOURCES = frozenset({"url", "query", "header"})


def _bind_links(request: HttpRequest, prefix: str) -> None:
    """A request bound to a schema answers with links bound to it: every ``reverse()``
    carries the marker through the script prefix."""
    schema = getattr(request, "schema", None)
    if schema is None or not conf.url_marker():
        return
    if getattr(request, "schema_choice_source", None) in BOUND_SOURCES:
        set_script_prefix(marked_prefix(prefix, schema.name))


def is_navigation(request: HttpRequest) -> bool:
    """A browser loading a page into a tab or frame (not a script, not an API client)."""
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate" and request.headers.get("Sec-Fetch-Dest") in (
            "document",
            "iframe",
            "frame",
        )
    # Browsers older than Fetch Metadata: their navigations ask for HTML.
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and not request.headers.get("X-Requested-With")


def _should_bind_navigation(request: HttpRequest) -> bool:
    """A page opened at an unbound URL while the session has a schema is sent to the same
    URL bound to that schema, so the tab keeps it whatever another tab switches to."""
    return (
        bool(conf.url_marker())
        and request.method == "GET"
        and getattr(request, "schema", None) is not None
        and getattr(request, "schema_choice_source", None) in ("session", "auto")
        and is_navigation(request)
    )
