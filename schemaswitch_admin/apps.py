from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchemaSwitchAdminConfig(AppConfig):
    name = "schemaswitch_admin"
    verbose_name = _("Schemas")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import setting_changed

        from . import checks  # noqa: F401  (registers the system checks)
        from .citus import checks as citus_checks  # noqa: F401  (deploy checks for Citus)
        from .resume import resume_last_schema
        from .roles import clear_caches
        from .sessions import checks as session_checks  # noqa: F401  (the engine's checks)

        user_logged_in.connect(resume_last_schema, dispatch_uid="schemaswitch_resume_schema")
        setting_changed.connect(clear_caches, dispatch_uid="schemaswitch_roles_settings")
