"""System checks for the mistakes that would silently break isolation."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks

from .routers import BACKEND_MODULE
from .sharing import is_shared_app, is_shared_model

ROUTER_PATH = "schemaswitch_admin.routers.SchemaRouter"
MIDDLEWARE_PATH = "schemaswitch_admin.middleware.SchemaSwitchMiddleware"


@checks.register
def check_engine(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    engines = {alias: cfg.get("ENGINE") for alias, cfg in settings.DATABASES.items()}
    if BACKEND_MODULE in engines.values():
        return []
    return [
        checks.Error(
            "No database uses the schemaswitch_admin backend, so search_path is never set "
            "and every tenant would share one set of tables.",
            hint=f"Set DATABASES['default']['ENGINE'] = {BACKEND_MODULE!r}.",
            id="schemaswitch_admin.E001",
        )
    ]


@checks.register
def check_router(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if ROUTER_PATH in getattr(settings, "DATABASE_ROUTERS", []):
        return []
    return [
        checks.Error(
            "SchemaRouter is not in DATABASE_ROUTERS: migrate would create tenant tables in "
            "'public' and shared tables in every schema.",
            hint=f"Add {ROUTER_PATH!r} to DATABASE_ROUTERS.",
            id="schemaswitch_admin.E002",
        )
    ]


@checks.register
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if MIDDLEWARE_PATH not in middleware:
        return [
            checks.Error(
                "SchemaSwitchMiddleware is not in MIDDLEWARE: requests never activate a schema.",
                hint=f"Add {MIDDLEWARE_PATH!r} after the session and authentication middleware.",
                id="schemaswitch_admin.E003",
            )
        ]
    position = middleware.index(MIDDLEWARE_PATH)
    needed = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    late = [m for m in needed if m in middleware and middleware.index(m) > position]
    missing = [m for m in needed if m not in middleware]
    if late or missing:
        return [
            checks.Error(
                "SchemaSwitchMiddleware needs the session and the user, so it must come after "
                "SessionMiddleware and AuthenticationMiddleware.",
                hint="Move it below: " + ", ".join(late + missing),
                id="schemaswitch_admin.E004",
            )
        ]
    return []


@checks.register(checks.Tags.models)
def check_shared_to_private_relations(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A shared row pointing at a private row would point into whichever schema is active:
    the same foreign key value means a different object per tenant."""
    errors = []
    for model in apps.get_models(include_auto_created=True):
        if not is_shared_model(model):
            continue
        for field in model._meta.get_fields(include_hidden=True):
            if not field.is_relation or field.auto_created and not field.concrete:
                continue
            target = field.related_model
            if target is None or not getattr(field, "concrete", False):
                continue
            if isinstance(target, str) or is_shared_model(target):
                continue
            errors.append(
                checks.Error(
                    f"Shared model {model._meta.label} has a relation "
                    f"'{field.name}' to private model {target._meta.label}.",
                    hint="Relations may point from private models to shared ones, never back. "
                    "Make the target shared, or move the relation to a private model.",
                    obj=model,
                    id="schemaswitch_admin.E005",
                )
            )
    return errors


@checks.register
def check_contenttypes_shared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not apps.is_installed("django.contrib.contenttypes") or is_shared_app("contenttypes"):
        return []
    return [
        checks.Error(
            "django.contrib.contenttypes must be shared: content type ids are stored in shared "
            "tables (permissions, admin log) and must mean the same model in every schema.",
            hint="Add 'contenttypes' to SCHEMASWITCH_SHARED_APPS.",
            id="schemaswitch_admin.E006",
        )
    ]


@checks.register
def check_migrate_command(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.core.management import get_commands

    owner = get_commands().get("migrate")
    if owner == "schemaswitch_admin":
        return []
    return [
        checks.Error(
            f"The migrate command comes from {owner!r}, not schemaswitch_admin, so schemas "
            "would not be migrated.",
            hint="List 'schemaswitch_admin' before that app in INSTALLED_APPS.",
            id="schemaswitch_admin.E007",
        )
    ]


@checks.register
def check_url_marker(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from urllib.parse import quote

    from . import conf

    marker = conf.url_marker()
    if not marker:
        return []
    problems: list[checks.CheckMessage] = []
    if quote(marker, safe="@~!$&'()*+,;=:-._") != marker:
        problems.append(
            checks.Error(
                f"SCHEMASWITCH_URL_MARKER {marker!r} cannot start a path segment as is.",
                hint="Use characters that need no escaping in a path, such as '@' or '~'.",
                id="schemaswitch_admin.E008",
            )
        )
    for name in ("STATIC_URL", "MEDIA_URL"):
        if _is_relative_to_script_prefix(name):
            problems.append(
                checks.Warning(
                    f"{name} is relative, and Django puts the script prefix in front of it: "
                    f"pages bound to a schema would link to '/{marker}<schema>/...', which "
                    "your web server does not serve.",
                    hint=f"Make {name} an absolute path (starting with '/') or a full URL.",
                    id="schemaswitch_admin.W010",
                )
            )
    return problems


def _is_relative_to_script_prefix(name: str) -> bool:
    """Django prefixes a relative STATIC_URL or MEDIA_URL with the script prefix each time it
    is read; inside a page bound to a schema that prefix carries the marker. Tell by reading
    the setting under a probe prefix."""
    from django.urls import get_script_prefix, set_script_prefix

    probe = "/schemaswitch-probe/"
    saved = get_script_prefix()
    set_script_prefix(probe)
    try:
        value = getattr(settings, name, None)
    finally:
        set_script_prefix(saved)
    # An empty setting (MEDIA_URL by default) reads as the bare prefix: nothing is served.
    return isinstance(value, str) and value.startswith(probe) and value != probe
