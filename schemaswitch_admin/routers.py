"""Database router that keeps each migration operation in the right schema.

``migrate`` runs twice over the same migrations: once with no schema active (building
``public``) and once per schema. The router lets an operation through when its model's place
(shared or private) matches where the run is, so shared tables never appear in a tenant schema
and private tables never appear in ``public``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db import connections

from .sharing import is_shared
from .state import get_active_schema

BACKEND_MODULE = "schemaswitch_admin.backends.postgresql"


def uses_schemaswitch_backend(alias: str) -> bool:
    """True when ``alias`` is served by our backend, stacked or mixed in: decided by the
    class its ENGINE provides, not by the ENGINE's name."""
    return engine_is_schemaswitch(connections.settings[alias]["ENGINE"])


@lru_cache(maxsize=32)
def engine_is_schemaswitch(engine: str) -> bool:
    from django.db.utils import load_backend

    from .backends.postgresql.wrapper import SchemaSwitchWrapperMixin

    try:
        wrapper = load_backend(engine).DatabaseWrapper
    except Exception:  # noqa: BLE001 - a broken ENGINE is Django's own error to report
        return False
    return isinstance(wrapper, type) and issubclass(wrapper, SchemaSwitchWrapperMixin)


class SchemaRouter:
    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if not uses_schemaswitch_backend(db):
            return None
        shared = is_shared(app_label, model_name)
        in_schema = get_active_schema() is not None
        return shared != in_schema
