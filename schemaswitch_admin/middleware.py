"""Runs each request in the schema its user chose, checked against their memberships.

Place it after ``SessionMiddleware`` and ``AuthenticationMiddleware``. The schema stays
active for the whole response, and a streaming body consumed after the middleware has returned
runs in a context of its own copied from the request's (see ``streaming``); the schema is
deactivated afterwards whatever happens (``schema_context`` restores the previous state on
exceptions too).

Per request it sets ``request.schema`` (the schema model instance, or ``None``) and
``request.schema_choice_source`` (``"session"``, ``"query"``, ``"header"``, ``"switch"``,
``"auto"`` or ``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase

from .selection import HEADER, QUERY_PARAMETER, SESSION_KEY, choose_for_request, deliver_notices
from .state import schema_context
from .streaming import keep_context_for_body

__all__ = ["HEADER", "QUERY_PARAMETER", "SESSION_KEY", "SchemaSwitchMiddleware"]


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
        answer = choose_for_request(request)
        if answer is not None:
            return answer
        name = _schema_name(request)
        with schema_context(name):
            response = self.get_response(request)
            return _keep_schema_for_body(response, name)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # The choice reads the session, the user and the schema row: ORM work, so it runs in
        # the request's sync thread, on the same connection the views' queries will use.
        answer = await sync_to_async(choose_for_request)(request)
        if answer is not None:
            return answer
        name = _schema_name(request)
        with schema_context(name):
            response = await self.get_response(request)
            return _keep_schema_for_body(response, name)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        # Notices queued before MessageMiddleware ran (when it comes after this middleware).
        deliver_notices(request)
        return None


def _schema_name(request: HttpRequest) -> str | None:
    schema = getattr(request, "schema", None)
    return None if schema is None else schema.name
