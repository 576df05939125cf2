"""Streamed response bodies run in the request's schema, in one context of their own.

A streaming body runs after the middleware has returned, in the server's thread or task, one
chunk at a time. Its steps are driven inside one ``contextvars.Context`` copied while the
request's schema was active: so the body starts in the request's schema, a ``schema_context``
the body enters itself stays in force across its chunks (it wins over the request's), and the
server's own code between chunks never runs in any tenant's schema.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterable, Iterator
from typing import Any

from django.http import HttpResponseBase

from .state import drive_async_in_context, drive_in_context


def _iterate(context: contextvars.Context, content: Iterable[Any]) -> Iterator[Any]:
    iterator = context.run(iter, content)
    if isinstance(iterator, Generator):
        yield from drive_in_context(context, iterator)
        return
    while True:
        try:
            chunk = context.run(next, iterator)
        except StopIteration:
            return
        yield chunk


async def _aiterate(context: contextvars.Context, content: Any) -> AsyncIterator[Any]:
    iterator = context.run(aiter, content)
    if isinstance(iterator, AsyncGenerator):
        async for chunk in drive_async_in_context(context, iterator):
            yield chunk
        return

    async def plain() -> AsyncGenerator[Any, None]:
        async for chunk in iterator:
            yield chunk

    async for chunk in drive_async_in_context(context, plain()):
        yield chunk


def keep_context_for_body(response: HttpResponseBase) -> HttpResponseBase:
    """Call while the request's schema is active; returns ``response``."""
    if not response.streaming:
        return response
    context = contextvars.copy_context()
    content = response.streaming_content  # type: ignore[attr-defined]
    if getattr(response, "is_async", False):
        response.streaming_content = _aiterate(context, content)  # type: ignore[attr-defined]
    else:
        response.streaming_content = _iterate(context, content)  # type: ignore[attr-defined]
    return response
