"""An authentication backend whose permissions on private models follow the active schema.

Use it *instead of* Django's ``ModelBackend`` (it is one)::

    AUTHENTICATION_BACKENDS = ["schemaswitch_admin.auth.SchemaRoleBackend"]

Permissions on shared models (users, groups, schemas...) are Django's as before: the user's
and their groups' permissions, global. Permissions on *private* models come only from the
user's role in the schema active when the question is asked (``roles``): ``has_perm`` asks
"may alice change projects *here*?". A global permission on a private model is ignored on
purpose: kept, it would hold in every tenant, which is exactly what per-schema roles exist to
prevent. Active superusers keep every permission (Django's ``PermissionsMixin`` answers for
them before any backend is asked).

Cost: the role arrives with the membership re-check the middleware already runs, so the
permission checks of a request read no database for the active schema; asking about another
schema (inside ``schema_context``) reads that membership once per user object.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from . import roles
from .state import get_active_schema


class SchemaRoleBackend(ModelBackend):
    def _shared_only(self, perms: set[str]) -> set[str]:
        private = roles.private_permissions()
        return {perm for perm in perms if perm not in private}

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return self._shared_only(super().get_user_permissions(user_obj, obj))

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return self._shared_only(super().get_group_permissions(user_obj, obj))

    def get_schema_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """The private permissions of ``user_obj``'s role in the active schema."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return roles.role_permissions(roles.role_in(user_obj, get_active_schema()))

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return {
            *super().get_all_permissions(user_obj, obj),
            *self.get_schema_permissions(user_obj, obj),
        }

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not user_obj.is_active:
            return False
        if roles.is_private_permission(perm):
            # Answered from the role alone: no statement, and no global grant can leak in.
            if obj is not None:
                return False
            return roles.role_grants(roles.role_in(user_obj, get_active_schema()), perm)
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if not user_obj.is_active:
            return False
        if app_label in roles.private_app_labels() and roles.role_grants_in_app(
            roles.role_in(user_obj, get_active_schema()), app_label
        ):
            return True
        return super().has_module_perms(user_obj, app_label)

    def with_perm(
        self,
        perm: str | Permission,
        is_active: bool = True,
        include_superusers: bool = True,
        obj: Any = None,
    ) -> QuerySet[Any]:
        """Users holding ``perm``: for a private permission, the members of the active schema
        whose role grants it (and superusers), not those granted it globally."""
        if isinstance(perm, Permission):
            perm = f"{perm.content_type.app_label}.{perm.codename}"
        if not isinstance(perm, str) or not roles.is_private_permission(perm):
            return super().with_perm(perm, is_active, include_superusers, obj)
        User = get_user_model()
        if obj is not None:
            return User._default_manager.none()
        granting = [r.name for r in roles.defined_roles().values() if roles.role_grants(r, perm)]
        schema = get_active_schema()
        holds = Q(pk__in=[])
        if schema is not None and granting:
            holds = Q(
                schema_memberships__schema__name=schema, schema_memberships__role__in=granting
            )
        if include_superusers:
            holds |= Q(is_superuser=True)
        users = User._default_manager.filter(holds)
        if is_active is not None:
            users = users.filter(is_active=is_active)
        return users.distinct()

    # Django's async permission API (``user.ahas_perm``...) must give the same answers: the
    # inherited async methods would read ModelBackend's unfiltered global permissions.

    async def aget_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return await sync_to_async(self.get_user_permissions)(user_obj, obj)

    async def aget_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return await sync_to_async(self.get_group_permissions)(user_obj, obj)

    async def aget_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return await sync_to_async(self.get_all_permissions)(user_obj, obj)

    async def ahas_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return await sync_to_async(self.has_perm)(user_obj, perm, obj)

    async def ahas_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return await sync_to_async(self.has_module_perms)(user_obj, app_label)
