"""Who may use which schema. One place, so every path (middleware, admin, commands) agrees."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from . import conf
from .schema_model import get_schema_model


def usable_schemas(user: Any, *, include_inactive: bool | None = None) -> QuerySet:
    """Schemas ``user`` may switch to: memberships, or all of them for superusers when
    ``SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS`` is on. Inactive schemas are hidden except for
    superusers while ``SCHEMASWITCH_SUPERUSER_INACTIVE_SCHEMAS`` is on (``include_inactive``
    overrides)."""
    Schema = get_schema_model()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Schema.objects.none()
    is_super = bool(user.is_superuser) and conf.superusers_use_all_schemas()
    if include_inactive is None:
        include_inactive = bool(user.is_superuser) and conf.superusers_use_inactive_schemas()
    qs = Schema.objects.all() if is_super else Schema.objects.filter(memberships__user=user)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs


def can_use_schema(user: Any, name: str) -> bool:
    return usable_schemas(user).filter(name=name).exists()
