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

from django.contrib.auth.backends import ModelBackend

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
