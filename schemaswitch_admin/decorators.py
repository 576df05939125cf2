"""Guards for views that only make sense inside a schema.

Without a chosen schema a browser is sent to the chooser (and back afterwards through
``next``), an anonymous browser to the login page, and a JSON client gets a JSON error body.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from .responses import schema_needed

V = TypeVar("V", bound=Callable[..., Any])


def has_schema(request: HttpRequest) -> bool:
    return getattr(request, "schema", None) is not None


def schema_required(view: V) -> V:
    """Run ``view`` only when the request has a schema (sync and async views)."""
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not has_schema(request):
                return schema_needed(request)
            return await view(request, *args, **kwargs)

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not has_schema(request):
            return schema_needed(request)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class SchemaRequiredMixin:
    """``schema_required`` for class-based views; put it first among the bases."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not has_schema(request):
            response = self.handle_no_schema(request)
            if getattr(self, "view_is_async", False):

                async def answer() -> HttpResponseBase:
                    return response

                return answer()
            return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def handle_no_schema(self, request: HttpRequest) -> HttpResponseBase:
        return schema_needed(request)
