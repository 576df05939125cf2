"""System checks for the mistakes that would silently break isolation."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks

from .routers import BACKEND_MODULE, engine_is_schemaswitch
from .sharing import is_shared_app, is_shared_model

ROUTER_PATH = "schemaswitch_admin.routers.SchemaRouter"
MIDDLEWARE_PATH = "schemaswitch_admin.middleware.SchemaSwitchMiddleware"


@checks.register
def check_engine(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    engines = [cfg.get("ENGINE", "") for cfg in settings.DATABASES.values()]
    if any(engine_is_schemaswitch(engine) for engine in engines):
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
    errors: list[checks.CheckMessage] = []
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


def table_collisions(models: Any) -> list[tuple[Any, Any]]:
    """(private model, shared model) pairs that use the same table name. A private model on
    a shared table would read and write the shared rows from every schema (a private
    ``auth_user`` shares sessions and logins across tenants)."""
    models = list(models)
    shared = {m._meta.db_table: m for m in models if is_shared_model(m) and not m._meta.proxy}
    return [
        (m, shared[m._meta.db_table])
        for m in models
        if not is_shared_model(m) and not m._meta.proxy and m._meta.db_table in shared
    ]


@checks.register(checks.Tags.models)
def check_private_tables_named_like_shared_ones(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"Private model {private._meta.label} uses the table {private._meta.db_table!r} "
            f"of shared model {shared._meta.label}: every schema would read and write the "
            "shared rows.",
            hint="Give the private model its own db_table.",
            obj=private,
            id="schemaswitch_admin.E008",
        )
        for private, shared in table_collisions(apps.get_models(include_auto_created=True))
    ]


def _server(config: dict[str, Any]) -> tuple[Any, ...]:
    return (config.get("HOST") or "", str(config.get("PORT") or ""), config.get("NAME"))


@checks.register(checks.Tags.database)
def check_other_aliases_on_the_same_database(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Another alias on the same database with a stock engine runs with PostgreSQL's default
    path, ``"$user", public``: a tenant named like its role would be read as if shared."""
    databases = settings.DATABASES
    ours = {
        _server(cfg)
        for cfg in databases.values()
        if engine_is_schemaswitch(cfg.get("ENGINE", ""))
    }
    return [
        checks.Warning(
            f"Database alias {alias!r} reaches the same database as a schemaswitch_admin "
            f"alias with the engine {cfg.get('ENGINE')!r}, which never sets search_path.",
            hint="Use 'schemaswitch_admin.backends.postgresql' for every alias on this "
            "database (with SCHEMASWITCH_ORIGINAL_BACKEND for a special backend).",
            id="schemaswitch_admin.W010",
        )
        for alias, cfg in databases.items()
        if _server(cfg) in ours and not engine_is_schemaswitch(cfg.get("ENGINE", ""))
    ]


@checks.register(checks.Tags.caches)
def check_cache_keys_carry_the_schema(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from .cache import KEY_FUNCTION, make_key

    warnings: list[checks.CheckMessage] = []
    for alias, cfg in getattr(settings, "CACHES", {}).items():
        if cfg.get("BACKEND", "").endswith("DummyCache"):
            continue
        if cfg.get("KEY_FUNCTION") in (KEY_FUNCTION, make_key):
            continue
        warnings.append(
            checks.Warning(
                f"Cache {alias!r} builds keys without the active schema: a page or value "
                "cached in one tenant's schema would be served in another's.",
                hint=f"Set CACHES[{alias!r}]['KEY_FUNCTION'] = {KEY_FUNCTION!r}.",
                id="schemaswitch_admin.W011",
            )
        )
    return warnings


@checks.register(checks.Tags.caches)
def check_update_cache_middleware(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    if "django.middleware.cache.UpdateCacheMiddleware" not in getattr(settings, "MIDDLEWARE", []):
        return []
    return [
        checks.Warning(
            "django.middleware.cache.UpdateCacheMiddleware stores pages after the request's "
            "schema was left, under keys that do not carry it.",
            hint="Use 'schemaswitch_admin.cache.UpdateCacheMiddleware' instead.",
            id="schemaswitch_admin.W012",
        )
    ]


@checks.register(checks.Tags.database)
def check_pooler_setting(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    mode = getattr(settings, "SCHEMASWITCH_POOLER", None)
    if mode not in (None, "session", "transaction"):
        return [
            checks.Error(
                f"SCHEMASWITCH_POOLER = {mode!r} is not one of None, 'session', 'transaction'.",
                id="schemaswitch_admin.E013",
            )
        ]
    if mode != "transaction":
        return []
    return [
        checks.Error(
            f"Database {alias!r} has server-side cursors on behind a transaction-mode pooler; "
            "they outlive the transaction that declared them.",
            hint=f"Set DATABASES[{alias!r}]['DISABLE_SERVER_SIDE_CURSORS'] = True.",
            id="schemaswitch_admin.E014",
        )
        for alias, cfg in settings.DATABASES.items()
        if engine_is_schemaswitch(cfg.get("ENGINE", ""))
        and not cfg.get("DISABLE_SERVER_SIDE_CURSORS")
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
                id="schemaswitch_admin.E015",
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
                    id="schemaswitch_admin.W016",
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


def _model_backend_beside_role_backend(paths: list[str]) -> bool:
    """A role backend (or subclass) next to any other ``ModelBackend`` (``AllowAllUsers...``,
    ``RemoteUserBackend``, a project's e-mail login): the other one grants globally."""
    from django.contrib.auth.backends import ModelBackend

    from .admin_site import backend_class, is_role_backend

    role = [path for path in paths if is_role_backend(path)]
    others = [
        path
        for path in paths
        if path not in role
        and isinstance(backend_class(path), type)
        and issubclass(backend_class(path), ModelBackend)  # type: ignore[arg-type]
    ]
    return bool(role and others)


@checks.register
def check_roles(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Roles only limit rights when nothing grants private permissions globally."""
    from .roles import (
        DEFAULT_ROLE,
        RoleConfigurationError,
        clear_caches,
        default_role,
        defined_roles,
    )

    problems: list[checks.CheckMessage] = []
    clear_caches()
    try:
        defined = defined_roles()
    except RoleConfigurationError as exc:
        problems.append(
            checks.Error(
                f"SCHEMASWITCH_ROLES is malformed: {exc}.",
                hint="See docs/settings.md for the shape of a role.",
                id="schemaswitch_admin.E018",
            )
        )
    else:
        wanted = getattr(settings, "SCHEMASWITCH_DEFAULT_ROLE", DEFAULT_ROLE)
        if wanted not in defined:
            # The runtime fallback is the first role, which is often the most powerful one.
            problems.append(
                checks.Error(
                    f"SCHEMASWITCH_DEFAULT_ROLE {wanted!r} is not among SCHEMASWITCH_ROLES: "
                    f"new memberships would get {default_role()!r}, the first role.",
                    hint="Set SCHEMASWITCH_DEFAULT_ROLE to the role a new member should get.",
                    id="schemaswitch_admin.E018",
                )
            )
    if _model_backend_beside_role_backend(list(getattr(settings, "AUTHENTICATION_BACKENDS", ()))):
        problems.append(
            checks.Warning(
                "ModelBackend is installed next to SchemaRoleBackend: its global permissions "
                "on private models hold in every schema, whatever the member's role.",
                hint="SchemaRoleBackend is a ModelBackend: remove ModelBackend.",
                id="schemaswitch_admin.W017",
            )
        )
    return problems
