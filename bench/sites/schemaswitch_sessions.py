"""schemaswitch_admin with the opt-in schema-aware session engine (docs/sessions.md)."""

from .schemaswitch import *  # noqa: F403
from .schemaswitch import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "schemaswitch_admin.sessions"]
SESSION_ENGINE = "schemaswitch_admin.sessions.db"
