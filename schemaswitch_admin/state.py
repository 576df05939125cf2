"""Which schema is active, kept in a ``ContextVar``.

A context variable (not a thread-local, not a connection attribute) is what makes threads and
asyncio tasks independent: each task gets a copy of its parent's context, so a switch in one
never shows in another, and ``asgiref``'s ``sync_to_async`` carries the caller's schema into
the worker thread that runs the ORM.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from .validation import validate_activatable_name

_active_schema: ContextVar[str | None] = ContextVar("schemaswitch_active_schema", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def get_active_schema() -> str | None:
    """The schema queries run in now, or ``None`` when only ``public`` is on the path."""
    return _active_schema.get()


def activate_schema(name: str) -> None:
    """Make ``name`` the active schema for the current thread or task until changed.

    Prefer ``schema_context`` where the end of the work is known; this form is for code that
    owns the whole unit of work (a middleware, a worker's task entry point).
    """
    from .signals import schema_activated

    validate_activatable_name(name)
    _active_schema.set(name)
    schema_activated.send(sender=None, schema=name)


def deactivate_schema() -> None:
    """Leave every schema: only shared (``public``) tables are reachable afterwards."""
    _active_schema.set(None)


class schema_context:  # noqa: N801 - used like contextlib's lowercase helpers
    """Run a block or a function with ``name`` active, restoring the previous schema after.

    Nestable: each entry remembers its own token, so leaving an inner block brings back
    exactly the outer block's schema, even when the inner one raised. ``None`` means "no
    schema" (only ``public``), which is useful to step out of a tenant for shared work.
    As a decorator it opens a fresh context on every call, so one decorated function can run
    in many threads and tasks at once; coroutine functions are supported, and so are
    generator and async generator functions, whose bodies run in the schema on every step.
    """

    def __init__(self, name: str | None) -> None:
        if name is not None:
            validate_activatable_name(name)
        self.name = name
        self._tokens: list[Token[str | None]] = []

    def __enter__(self) -> str | None:
        from .signals import schema_activated

        self._tokens.append(_active_schema.set(self.name))
        if self.name is not None:
            schema_activated.send(sender=None, schema=self.name)
        return self.name

    def __exit__(self, *exc_info: object) -> None:
        _active_schema.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        name = self.name
        if inspect.isasyncgenfunction(func):

            @functools.wraps(func)
            def async_gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                return drive_async_in_context(_context_with(name), func(*args, **kwargs))

            return async_gen_wrapper  # type: ignore[return-value]

        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                return (yield from drive_in_context(_context_with(name), func(*args, **kwargs)))

            return gen_wrapper  # type: ignore[return-value]

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with schema_context(name):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with schema_context(name):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


# -- generators: a body runs in one context of its own ------------------------------------
#
# A generator's body runs on each ``next()``, in whatever context the consumer has then, and a
# ``schema_context`` entered inside the body would leak into the consumer between steps. So a
# body is driven step by step inside one ``contextvars.Context``, copied when the generator was
# made: the body's own switches persist from one step to the next and never reach the
# consumer, and the consumer's later switches never reach the body.


def _context_with(name: str | None) -> contextvars.Context:
    def enter() -> None:
        from .signals import schema_activated

        _active_schema.set(name)
        if name is not None:
            schema_activated.send(sender=None, schema=name)

    context = contextvars.copy_context()
    context.run(enter)
    return context


def drive_in_context(context: contextvars.Context, gen: Generator[Any, Any, Any]) -> Any:
    """Yield what ``gen`` yields, running each of its steps (send, throw, close) in
    ``context``; returns its return value."""
    step: Callable[..., Any] = gen.send
    argument: Any = None
    while True:
        try:
            item = context.run(step, argument)
        except StopIteration as stop:
            return stop.value
        try:
            argument = yield item
        except GeneratorExit:
            context.run(gen.close)
            raise
        except BaseException as exc:  # noqa: BLE001 - forwarded into the body, as yield does
            step, argument = gen.throw, exc
        else:
            step = gen.send


async def _in_context(context: contextvars.Context, awaitable: Awaitable[Any]) -> Any:
    async def run() -> Any:
        return await awaitable

    return await asyncio.create_task(run(), context=context)


async def drive_async_in_context(
    context: contextvars.Context, agen: AsyncGenerator[Any, Any]
) -> AsyncIterator[Any]:
    """The async twin of ``drive_in_context``: each step of ``agen`` runs as a task in
    ``context``."""
    step: Callable[..., Awaitable[Any]] = agen.asend
    argument: Any = None
    while True:
        try:
            item = await _in_context(context, step(argument))
        except StopAsyncIteration:
            return
        try:
            argument = yield item
        except GeneratorExit:
            await _in_context(context, agen.aclose())
            raise
        except BaseException as exc:  # noqa: BLE001 - forwarded into the body
            step, argument = agen.athrow, exc
        else:
            step = agen.asend
