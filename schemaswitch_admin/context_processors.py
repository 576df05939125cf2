"""Template context: the active schema and the schemas the user may switch to.

Add ``"schemaswitch_admin.context_processors.schemas"`` to the template engine's
``context_processors``. ``user_schemas`` is lazy, so pages that do not show it cost no query
(not even loading the user); so is ``schema_role``, the user's role in the active schema.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def schemas(request: HttpRequest) -> dict[str, Any]:
    def user_schemas() -> Any:
        from .access import usable_schemas

        return list(usable_schemas(getattr(request, "user", None)))

    def schema_role() -> Any:
        from .admin_site import roles_in_use
        from .roles import role_in

        schema = getattr(request, "schema", None)
        if schema is None or not roles_in_use():
            return None
        return role_in(getattr(request, "user", None), schema.name)

    return {
        "active_schema": getattr(request, "schema", None),
        "user_schemas": SimpleLazyObject(user_schemas),
        # The user's role in the active schema (``roles.Role``: ``name``, ``label``,
        # ``staff``...), or None; read from the request's membership check, no statement.
        "schema_role": SimpleLazyObject(schema_role),
    }
