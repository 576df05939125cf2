from __future__ import annotations

from django.apps import AppConfig
from django.core.signals import request_started
from django.utils.translation import gettext_lazy as _


def _forget_paths_at_request_start(**kwargs: object) -> None:
    """A new request trusts nothing a previous one left on a persistent connection."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        forget = getattr(conn, "forget_search_path", None)
        if forget is not None:
            forget()


class SchemaSwitchAdminConfig(AppConfig):
    name = "schemaswitch_admin"
    verbose_name = _("Schemas")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        request_started.connect(
            _forget_paths_at_request_start, dispatch_uid="schemaswitch_forget_paths"
        )
        from django.contrib.auth.signals import user_logged_in

        from .resume import resume_last_schema

        user_logged_in.connect(resume_last_schema, dispatch_uid="schemaswitch_resume_schema")
