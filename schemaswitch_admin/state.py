"""Which schema is active, kept in a ``ContextVar``.

A context variable (not a thread-local, not a connection attribute) is what makes threads and
asyncio tasks independent: each task gets a copy of its parent's context, so a switch in one
never shows in another, and ``asgiref``'s ``sync_to_async`` carries the caller's schema into
the worker thread that runs the ORM.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
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
    in many threads and tasks at once; coroutine functions are supported.
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
