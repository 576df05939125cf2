"""The ENGINE ``schemaswitch_admin.backends.postgresql``.

``DatabaseWrapper`` is ``SchemaSwitchWrapperMixin`` stacked on the backend named by
``SCHEMASWITCH_ORIGINAL_BACKEND`` (default: Django's ``django.db.backends.postgresql``), with
the original's operations class extended the same way. So GeoDjango's PostGIS backend, or a
project's own PostgreSQL backend, keeps everything it adds and gains schema switching.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from ... import conf
from .operations import SchemaSwitchOperationsMixin
from .wrapper import SchemaSwitchWrapperMixin, is_schemaswitch_connection

if TYPE_CHECKING:
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper

__all__ = ["DatabaseWrapper", "SchemaSwitchWrapperMixin", "is_schemaswitch_connection"]


def _original_wrapper() -> type[PostgreSQLWrapper]:
    name = conf.original_backend()
    if name == __name__.rsplit(".", 1)[0]:
        raise ImproperlyConfigured(
            "SCHEMASWITCH_ORIGINAL_BACKEND names schemaswitch_admin's own backend; name the "
            "backend it should extend (e.g. 'django.contrib.gis.db.backends.postgis')."
        )
    try:
        module = import_module(f"{name}.base")
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"SCHEMASWITCH_ORIGINAL_BACKEND = {name!r} cannot be imported: {exc}"
        ) from exc
    original: type[PostgreSQLWrapper] | None = getattr(module, "DatabaseWrapper", None)
    if original is None or getattr(original, "vendor", None) != "postgresql":
        raise ImproperlyConfigured(
            f"SCHEMASWITCH_ORIGINAL_BACKEND = {name!r} is not a PostgreSQL backend."
        )
    return original


def build_database_wrapper(original: type[PostgreSQLWrapper]) -> type:
    """``original`` with schema switching; its operations class gets our ``sql_flush``."""
    ops: Any = type(
        "DatabaseOperations", (SchemaSwitchOperationsMixin, original.ops_class), {}
    )
    return type(
        "DatabaseWrapper",
        (SchemaSwitchWrapperMixin, original),
        {"ops_class": ops, "__module__": __name__},
    )


DatabaseWrapper = build_database_wrapper(_original_wrapper())
