"""The admin site with per-schema staff access.

Django's site admits active users with ``is_staff``. A tenant's administrator should not need
that global flag: it would open the admin in every schema they belong to. This site also
admits a member whose role in the *active* schema is marked ``staff`` (``SCHEMASWITCH_ROLES``),
and only while ``SchemaRoleBackend`` is installed, since that backend is what limits their
rights to that schema. With a schema where they have no such role active, they are sent to the
chooser rather than to a login page that cannot help them.

Not in the ``admin`` package: Django imports the default site's class while it discovers the
``admin`` modules, and importing that package registers models on the site being built.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from . import roles
from .responses import safe_redirect
from .state import get_active_schema

BACKEND = "schemaswitch_admin.auth.SchemaRoleBackend"


def roles_in_use() -> bool:
    return any(is_role_backend(path) for path in settings.AUTHENTICATION_BACKENDS)


@lru_cache(maxsize=32)
def backend_class(path: str) -> type | None:
    """The backend class at ``path`` (``None`` when it does not import: Django's own login
    then reports it)."""
    try:
        found = import_string(path)
    except ImportError:
        return None
    return found if isinstance(found, type) else None


def is_role_backend(path: str) -> bool:
    """``SchemaRoleBackend`` or a project's subclass of it (e.g. one adding login by e-mail)."""
    from .auth import SchemaRoleBackend

    cls = backend_class(path)
    return isinstance(cls, type) and issubclass(cls, SchemaRoleBackend)


def has_staff_role_here(user: Any) -> bool:
    """Whether ``user``'s role in the active schema opens the admin (no statement: the role
    came with the request's membership re-check)."""
    if not roles_in_use() or not getattr(user, "is_active", False):
        return False
    role = roles.role_in(user, get_active_schema())
    return role is not None and role.staff


def has_staff_role_anywhere(user: Any) -> bool:
    """One statement, at login or on a refused admin page only."""
    from .models import Membership

    if not roles_in_use() or not getattr(user, "is_active", False):
        return False
    staff_roles = roles.roles_with("staff")
    return Membership.objects.filter(
        user_id=user.pk, role__in=staff_roles, schema__is_active=True
    ).exists()


class SchemaAdminAuthenticationForm(AdminAuthenticationForm):
    """Accepts staff, and members with a staff role in some schema (they choose it next)."""

    def confirm_login_allowed(self, user: Any) -> None:
        try:
            super().confirm_login_allowed(user)
        except ValidationError:
            if not has_staff_role_anywhere(user):
                raise


class SchemaAdminSite(admin.AdminSite):
    login_form = SchemaAdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return super().has_permission(request) or has_staff_role_here(user)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """A member logged in whose active schema gives no admin access, but another one
        does: the chooser, not the login form ("not authorized ... log in again")."""
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and not self.has_permission(request)
            and has_staff_role_anywhere(user)
        ):
            target = _chooser_url(request)
            if target is not None:
                return safe_redirect(request, target)
        return super().login(request, extra_context)


def _chooser_url(request: HttpRequest) -> str | None:
    from django.urls import NoReverseMatch, reverse
    from django.utils.http import urlencode

    try:
        url = reverse("schemaswitch_admin:choose")
    except NoReverseMatch:
        return None
    wanted = request.GET.get("next") or reverse("admin:index")
    return f"{url}?{urlencode({'next': wanted})}"
