"""One PostgreSQL schema per tenant for Django.

The activation API is importable from here; it does not touch models, so importing it is safe
in settings and app loading.
"""

from .state import activate_schema, deactivate_schema, get_active_schema, schema_context

__all__ = ["activate_schema", "deactivate_schema", "get_active_schema", "schema_context"]
__version__ = "0.1.0"
