"""Template context: the active schema and the schemas the user may switch to.

Add ``"schemaswitch_admin.context_processors.schemas"`` to the template engine's
``context_processors``. ``user_schemas`` is lazy, so pages that do not show it cost no query
(not even loading the user).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def schemas(request: HttpRequest) -> dict[str, Any]:
    def user_schemas() -> Any:
        from .access import usable_schemas

        return list(usable_schemas(getattr(request, "user", None)))

    return {
        "active_schema": getattr(request, "schema", None),
        "user_schemas": SimpleLazyObject(user_schemas),
    }
