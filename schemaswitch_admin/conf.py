"""Settings of schemaswitch_admin, read lazily so ``override_settings`` works in tests.

Every setting is documented in ``docs/settings.md``; keep the two in step.
"""

from __future__ import annotations

from django.conf import settings

#: Apps (by label) or single models (``"app_label.ModelName"``) that live once, in ``public``.
DEFAULT_SHARED_APPS: tuple[str, ...] = (
    "auth",
    "contenttypes",
    "sessions",
    "admin",
    "sites",
    "schemaswitch_admin",
    "schemaswitch_sessions",  # the schema-aware session engine's table, when installed
)

#: The schema that holds shared tables. PostgreSQL's default; not configurable on purpose,
#: so that every path we build is ``"<tenant>", public``.
SHARED_SCHEMA = "public"


def schema_model_label() -> str:
    return getattr(settings, "SCHEMASWITCH_SCHEMA_MODEL", "schemaswitch_admin.Schema")


def shared_apps() -> tuple[str, ...]:
    return tuple(getattr(settings, "SCHEMASWITCH_SHARED_APPS", DEFAULT_SHARED_APPS))


def template_schema() -> str:
    return getattr(settings, "SCHEMASWITCH_TEMPLATE_SCHEMA", "__template__")


def superusers_use_all_schemas() -> bool:
    return bool(getattr(settings, "SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS", True))


def superusers_use_inactive_schemas() -> bool:
    """Superusers may still enter a deactivated schema (to inspect or repair it)."""
    return bool(getattr(settings, "SCHEMASWITCH_SUPERUSER_INACTIVE_SCHEMAS", True))


def auto_select_single_schema() -> bool:
    """A user with exactly one usable schema and no choice yet gets it chosen for them."""
    return bool(getattr(settings, "SCHEMASWITCH_AUTO_SELECT", True))


def switch_redirect_url() -> str:
    """Where the switch view sends the user when ``next`` is missing or unsafe."""
    return str(getattr(settings, "SCHEMASWITCH_SWITCH_REDIRECT_URL", "/"))


def original_backend() -> str:
    """The PostgreSQL backend our ENGINE extends (e.g. GeoDjango's PostGIS backend)."""
    return str(getattr(settings, "SCHEMASWITCH_ORIGINAL_BACKEND", "django.db.backends.postgresql"))


def member_choices_include_superusers() -> bool:
    """Admin choices of users on private models list superusers who are not members."""
    return bool(getattr(settings, "SCHEMASWITCH_MEMBER_CHOICES_SUPERUSERS", False))


def pooler_mode() -> str | None:
    """``None``: connections must reach PostgreSQL directly (a pooler in between is refused).
    ``"session"``: a session-mode pooler (e.g. PgBouncer ``pool_mode = session``) sits in
    between, which is safe because each client keeps its server connection.
    ``"transaction"``: a transaction-mode pooler; the path travels with every transaction."""
    return getattr(settings, "SCHEMASWITCH_POOLER", None)


def url_marker() -> str:
    """What starts the first path segment that binds a URL to a schema (``/@acme/...``);
    ``""`` when URLs are never bound (then every unmarked request follows the session)."""
    value = getattr(settings, "SCHEMASWITCH_URL_MARKER", "@")
    return str(value) if value else ""


def base_template() -> str:
    """The template the chooser, refusal and conflict pages extend outside the admin."""
    return str(getattr(settings, "SCHEMASWITCH_BASE_TEMPLATE", "schemaswitch_admin/base.html"))


def resume_last_schema() -> bool:
    """Logging in makes the user's most recently used schema the session's choice again."""
    return bool(getattr(settings, "SCHEMASWITCH_RESUME_LAST_SCHEMA", True))


def selector_limit() -> int:
    """At most this many schemas in the admin header's selector; the chooser page (search,
    pages) reaches the others. The active schema is always among them (check ``E103``
    keeps it at least 1)."""
    return int(getattr(settings, "SCHEMASWITCH_SELECTOR_LIMIT", 30))


def chooser_page_size() -> int:
    """Schemas per page of the chooser."""
    return int(getattr(settings, "SCHEMASWITCH_CHOOSER_PAGE_SIZE", 50))
