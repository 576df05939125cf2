"""Who may use which schema: the one access policy.

Every path asks here: the request layer's check (``entering.check_and_enter`` applies
``verdict`` to the row it reads in its single statement), the lists of schemas a user may
switch to (selector, chooser, context processor, login resume, admin log visibility) and the
debug panel. The rules:

* a user must be authenticated and active;
* a member of a schema may use it; a superuser may use every schema while
  ``SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS`` is on;
* a deactivated schema is usable only by superusers, while
  ``SCHEMASWITCH_SUPERUSER_INACTIVE_SCHEMAS`` is on.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from . import conf
from .schema_model import get_schema_model

if TYPE_CHECKING:
    from .models import AbstractSchema


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    ANONYMOUS = "anonymous"
    TEMPLATE = "template"
    UNKNOWN = "unknown"
    NOT_MEMBER = "not_member"
    INACTIVE = "inactive"


def is_usable_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def uses_every_schema(user: Any) -> bool:
    """A superuser needs no membership (``SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS``)."""
    return bool(getattr(user, "is_superuser", False)) and conf.superusers_use_all_schemas()


def may_use_inactive(user: Any) -> bool:
    """A superuser may still enter a deactivated schema, to inspect or repair it."""
    return bool(getattr(user, "is_superuser", False)) and conf.superusers_use_inactive_schemas()


def verdict(user: Any, schema: Any, is_member: bool) -> Verdict:
    """The decision for an existing schema row, ``is_member`` telling whether ``user`` holds
    a membership in it."""
    if not is_usable_user(user):
        return Verdict.ANONYMOUS
    if not is_member and not uses_every_schema(user):
        return Verdict.NOT_MEMBER
    if not schema.is_active and not may_use_inactive(user):
        return Verdict.INACTIVE
    return Verdict.ALLOWED


def usable_schemas(user: Any) -> QuerySet[AbstractSchema]:
    """The schemas ``user`` may switch to, by the same rules as ``verdict``."""
    Schema = get_schema_model()
    if user is None or not is_usable_user(user):
        return Schema.objects.none()
    qs = (
        Schema.objects.all()
        if uses_every_schema(user)
        # Membership.schema's reverse accessor is on the concrete (swappable) model only.
        else Schema.objects.filter(memberships__user=user)  # type: ignore[misc]
    )
    if not may_use_inactive(user):
        qs = qs.filter(is_active=True)
    return qs


def can_use_schema(user: Any, name: str) -> bool:
    return usable_schemas(user).filter(name=name).exists()
