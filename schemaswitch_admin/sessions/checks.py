"""System checks of the schema-aware session engine: it must have its table, in ``public``,
and it pays off only with the middleware, which takes the check its read made."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks

from ..sharing import is_shared

ENGINE = "schemaswitch_admin.sessions.db"
APP = "schemaswitch_admin.sessions"
LABEL = "schemaswitch_sessions"
MIDDLEWARE_PATH = "schemaswitch_admin.middleware.SchemaSwitchMiddleware"


@checks.register
def check_session_engine(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "SESSION_ENGINE", None) != ENGINE:
        return []
    if not apps.is_installed(APP):
        return [
            checks.Error(
                "SESSION_ENGINE is the schema-aware session engine but its app is not "
                "installed, so its table does not exist.",
                hint=f"Add {APP!r} to INSTALLED_APPS and run migrate.",
                id="schemaswitch_admin.E030",
            )
        ]
    errors: list[checks.CheckMessage] = []
    if not is_shared(LABEL):
        errors.append(
            checks.Error(
                "The schema-aware session table is not shared: migrate would create one per "
                "schema and the session read, which names public's table, would find none.",
                hint=f"Add {LABEL!r} to SCHEMASWITCH_SHARED_APPS.",
                id="schemaswitch_admin.E031",
            )
        )
    if MIDDLEWARE_PATH not in getattr(settings, "MIDDLEWARE", []):
        errors.append(
            checks.Warning(
                "The schema-aware session engine is configured without SchemaSwitchMiddleware: "
                "its read checks a membership that nothing uses.",
                hint="Add the middleware, or use Django's own session engine.",
                id="schemaswitch_admin.W032",
            )
        )
    return errors
