"""Roles: what a membership lets its user do inside that one schema.

A role is a name stored on the membership (``Membership.role``) and defined by the setting
``SCHEMASWITCH_ROLES``; each definition says which actions on *private* models it grants
(``view``, ``add``, ``change``, ``delete``, for every private model), which further private
permissions (``"app_label.codename"``), whether it opens the admin in its schema without
the global ``is_staff`` (``staff``) and whether it manages the schema's members
(``manage_members``). Permissions on shared models are not roles' business: they stay
Django's (``is_staff``, user and group permissions).

The definitions are read from settings once per process and turned into frozen data, so an
answer costs no statement. The role itself comes with the membership re-check the middleware
runs on every request (``entering.check_and_enter``): it is remembered on the user object for
that schema, so ``has_perm`` within the request reads no database either. A role unknown to
the settings (a renamed role, a typo in the database) grants nothing: fail closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_permission_codename
from django.db import models
from django.utils.translation import gettext_lazy as _

from .sharing import is_shared_model

#: The actions Django's default permissions are made of.
ACTIONS = ("view", "add", "change", "delete")

DEFAULT_ROLES: dict[str, dict[str, Any]] = {
    "owner": {
        "label": _("owner"),
        "actions": ACTIONS,
        "staff": True,
        "manage_members": True,
    },
    "admin": {"label": _("administrator"), "actions": ACTIONS, "staff": True},
    "editor": {"label": _("editor"), "actions": ("view", "add", "change"), "staff": True},
    "viewer": {"label": _("viewer"), "actions": ("view",), "staff": True},
}
DEFAULT_ROLE = "editor"

#: Attribute of a user object holding ``{schema name: role or None}`` for the schemas whose
#: membership was read while this object lived (one request, as Django loads the user anew
#: for each request).
_CACHE_ATTR = "_schemaswitch_roles"


@dataclass(frozen=True)
class Role:
    name: str
    label: Any
    actions: frozenset[str]
    permissions: frozenset[str]
    staff: bool
    manage_members: bool


class RoleConfigurationError(ValueError):
    """``SCHEMASWITCH_ROLES`` or ``SCHEMASWITCH_DEFAULT_ROLE`` is malformed."""


def _role(name: str, spec: Mapping[str, Any]) -> Role:
    if not isinstance(name, str) or not name or len(name) > 20:
        raise RoleConfigurationError(f"role names are 1 to 20 characters, got {name!r}")
    unknown_keys = set(spec) - {"label", "actions", "permissions", "staff", "manage_members"}
    if unknown_keys:
        raise RoleConfigurationError(f"role {name!r}: unknown keys {sorted(unknown_keys)}")
    actions = frozenset(spec.get("actions", ()))
    if not actions <= set(ACTIONS):
        raise RoleConfigurationError(
            f"role {name!r}: actions must be among {ACTIONS}, got {sorted(actions)}"
        )
    permissions = frozenset(spec.get("permissions", ()))
    for perm in permissions:
        if not isinstance(perm, str) or perm.count(".") != 1:
            raise RoleConfigurationError(
                f"role {name!r}: permissions are 'app_label.codename', got {perm!r}"
            )
    return Role(
        name=name,
        label=spec.get("label", name),
        actions=actions,
        permissions=permissions,
        staff=bool(spec.get("staff", False)),
        manage_members=bool(spec.get("manage_members", False)),
    )


@lru_cache(maxsize=1)
def defined_roles() -> dict[str, Role]:
    """The roles of ``SCHEMASWITCH_ROLES`` (default: owner, admin, editor, viewer)."""
    raw = getattr(settings, "SCHEMASWITCH_ROLES", DEFAULT_ROLES)
    if not isinstance(raw, Mapping) or not raw:
        raise RoleConfigurationError("SCHEMASWITCH_ROLES must be a non-empty dict")
    return {name: _role(name, spec) for name, spec in raw.items()}


def default_role() -> str:
    name = str(getattr(settings, "SCHEMASWITCH_DEFAULT_ROLE", DEFAULT_ROLE))
    roles = getattr(settings, "SCHEMASWITCH_ROLES", DEFAULT_ROLES)
    if name not in roles:
        # Settings without the default role still give new memberships a defined one.
        return str(next(iter(roles)))
    return name


def role_choices() -> list[tuple[str, Any]]:
    """``Membership.role``'s choices (a callable, so the settings decide, not migrations)."""
    raw = getattr(settings, "SCHEMASWITCH_ROLES", DEFAULT_ROLES)
    return [(name, spec.get("label", name)) for name, spec in raw.items()]


def get_role(name: str | None) -> Role | None:
    if name is None:
        return None
    return defined_roles().get(name)


def _models_with_private_rows() -> list[type[models.Model]]:
    """Private models, and the proxies and unmanaged models that read a schema's rows too
    (``private_models`` leaves them out: they own no table to create). A proxy is private
    when the model it stands for is: a proxy of ``User`` in a private app stays shared."""
    return [
        model
        for model in apps.get_models()
        if not is_shared_model(model._meta.concrete_model or model)
    ]


@lru_cache(maxsize=1)
def private_permissions() -> dict[str, tuple[str, str | None]]:
    """Every permission of a private model, ``"app_label.codename"`` →
    ``(model label, action or None for a custom permission)``. Computed from the model
    registry, no statement: the ``Permission`` rows Django creates carry exactly these."""
    found: dict[str, tuple[str, str | None]] = {}
    for model in _models_with_private_rows():
        opts = model._meta
        for action in opts.default_permissions:
            codename = get_permission_codename(action, opts)
            found[f"{opts.app_label}.{codename}"] = (opts.label_lower, action)
        for codename, _name in opts.permissions:
            found[f"{opts.app_label}.{codename}"] = (opts.label_lower, None)
    return found


def private_app_labels() -> frozenset[str]:
    return frozenset(label.split(".", 1)[0] for label, _a in private_permissions().values())


def is_private_permission(perm: str) -> bool:
    return perm in private_permissions()


def role_grants(role: Role | None, perm: str) -> bool:
    """Whether ``role`` grants the private permission ``perm``."""
    if role is None:
        return False
    if perm in role.permissions:
        return True
    known = private_permissions().get(perm)
    return known is not None and known[1] is not None and known[1] in role.actions


def role_permissions(role: Role | None) -> set[str]:
    """All private permissions ``role`` grants (for ``get_all_permissions``)."""
    if role is None:
        return set()
    return {perm for perm in private_permissions() if role_grants(role, perm)}


def role_grants_in_app(role: Role | None, app_label: str) -> bool:
    prefix = f"{app_label}."
    return any(
        perm.startswith(prefix) and role_grants(role, perm) for perm in private_permissions()
    )


# -- the user's role per schema, remembered on the user object --------------------------


def remember_role(user: Any, schema: str, role: str | None) -> None:
    """Record what the membership re-check read, so permission checks within this request
    cost no statement. ``role`` is ``None`` for no membership."""
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        try:
            setattr(user, _CACHE_ATTR, cache)
        except AttributeError:  # an object that takes no attributes (AnonymousUser is fine)
            return
    cache[schema] = role


def forget_roles(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def role_name_in(user: Any, schema: str, using: str | None = None) -> str | None:
    """The name of ``user``'s role in ``schema`` (``None``: no membership). Read from the
    membership re-check when this request made one for that schema, else one statement."""
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is not None and schema in cache:
        known: str | None = cache[schema]
        return known
    from .entering import path_not_needed, schema_db_alias
    from .models import Membership

    alias = using or schema_db_alias()
    with path_not_needed(alias):
        role = (
            Membership.objects.using(alias)
            .filter(user_id=user.pk, schema__name=schema)
            .values_list("role", flat=True)
            .first()
        )
    remember_role(user, schema, role)
    return role


def role_in(user: Any, schema: str | None) -> Role | None:
    """``user``'s role in ``schema`` as defined by the settings; ``None`` for no schema, no
    membership or a role the settings do not define."""
    if schema is None or not getattr(user, "is_authenticated", False):
        return None
    return get_role(role_name_in(user, schema))


def roles_with(flag: str) -> list[str]:
    """Names of the roles whose ``flag`` (``staff``, ``manage_members``) is on."""
    return [role.name for role in defined_roles().values() if getattr(role, flag)]


def clear_caches(*, setting: str | None = None, **kwargs: Any) -> None:
    """Forget the settings-derived data; connected to ``setting_changed`` (so
    ``override_settings`` of the roles or the shared apps takes effect)."""
    if setting is None or setting in ("SCHEMASWITCH_ROLES", "SCHEMASWITCH_SHARED_APPS"):
        defined_roles.cache_clear()
        private_permissions.cache_clear()
