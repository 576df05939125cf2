from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchemaSessionsConfig(AppConfig):
    name = "schemaswitch_admin.sessions"
    #: Listed in the default ``SCHEMASWITCH_SHARED_APPS``: the table lives once, in public.
    label = "schemaswitch_sessions"
    verbose_name = _("Schema-aware sessions")
    default_auto_field = "django.db.models.BigAutoField"
