"""Cache keys that belong to a schema.

Django's caches are tenant-blind: ``cache_page``, ``cache.get_or_set("dashboard", ...)`` and
``{% cache 300 sidebar %}`` would hand one tenant's rows to another. ``make_key`` puts the
active schema (or ``~shared`` with none active) into every key, so the same key names a
different entry in each schema::

    CACHES = {"default": {..., "KEY_FUNCTION": "schemaswitch_admin.cache.make_key"}}

Django's ``UpdateCacheMiddleware`` stores pages on the way out, after the request's schema
is left; use this module's ``UpdateCacheMiddleware`` instead, which stores them in it.
Check ``schemaswitch_admin.W011``/``W012`` point at both.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.middleware.cache import UpdateCacheMiddleware as DjangoUpdateCacheMiddleware

from .state import _active_schema, schema_context

KEY_FUNCTION = "schemaswitch_admin.cache.make_key"

#: Stands for "no schema" in keys; schema names never contain ``~``.
SHARED_MARKER = "~shared"


def make_key(key: str, key_prefix: str, version: Any) -> str:
    """Django's default key (``prefix:version:key``) with the active schema in it."""
    return f"{key_prefix}:{version}:{_active_schema.get() or SHARED_MARKER}:{key}"


class UpdateCacheMiddleware(DjangoUpdateCacheMiddleware):
    """Stores the page in the schema the request ran in (it runs outside
    ``SchemaSwitchMiddleware``, where no schema is active any more)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase | str
    ) -> HttpResponseBase | str:
        schema = getattr(request, "schema", None)
        with schema_context(None if schema is None else schema.name):
            return super().process_response(request, response)
