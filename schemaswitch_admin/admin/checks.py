"""A system check for private models registered with a plain ``ModelAdmin``.

Such an admin works while a schema is active, but fails with a database error when none is,
and its log entries carry no schema, so "Recent actions" hides them (they could belong to any
schema). The fix is one base class, so the check says which.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.sites import all_sites
from django.core import checks

from ..sharing import is_shared_model
from .mixins import SchemaAwareAdminMixin


@checks.register(checks.Tags.admin)
def check_private_model_admins(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    warnings = []
    for site in all_sites:
        for model, model_admin in site._registry.items():
            if is_shared_model(model) or isinstance(model_admin, SchemaAwareAdminMixin):
                continue
            warnings.append(
                checks.Warning(
                    f"{type(model_admin).__qualname__} (admin site {site.name!r}) manages the "
                    f"private model {model._meta.label} without SchemaAwareAdminMixin: its pages "
                    "fail when no schema is active and its log entries record no schema.",
                    hint="Base it on schemaswitch_admin.admin.SchemaAwareModelAdmin (or mix in "
                    "SchemaAwareAdminMixin before ModelAdmin).",
                    obj=type(model_admin),
                    id="schemaswitch_admin.W101",
                )
            )
    return warnings
