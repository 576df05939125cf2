"""A system check for private models registered with a plain ``ModelAdmin``.

Such an admin works while a schema is active, but fails with a database error when none is,
and its log entries carry no schema, so "Recent actions" hides them (they could belong to any
schema). The fix is one base class, so the check says which.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin.sites import all_sites
from django.core import checks

from ..sharing import is_shared_model
from .mixins import SchemaAwareAdminMixin


@checks.register(checks.Tags.admin)
def check_private_model_admins(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    warnings: list[checks.CheckMessage] = []
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


@checks.register(checks.Tags.admin)
def check_member_limited_autocomplete(
    app_configs: Any = None, sites: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from .choices import MemberChoicesAutocompleteMixin, is_member_limited

    warnings: list[checks.CheckMessage] = []
    for site in all_sites if sites is None else sites:
        for model, model_admin in site._registry.items():
            if is_shared_model(model):
                continue
            for name in getattr(model_admin, "autocomplete_fields", ()) or ():
                try:
                    # A field without a relation raises here, and is skipped.
                    target = model._meta.get_field(name).remote_field.model  # type: ignore[union-attr]
                except Exception:  # noqa: BLE001 - Django's own admin checks report it
                    continue
                target_admin = site._registry.get(target)
                if not is_member_limited(target) or isinstance(
                    target_admin, MemberChoicesAutocompleteMixin
                ):
                    continue
                warnings.append(
                    checks.Warning(
                        f"{type(model_admin).__qualname__}.autocomplete_fields offers "
                        f"{target._meta.label} objects through {type(target_admin).__qualname__}"
                        ", which lists every tenant's users.",
                        hint="Mix schemaswitch_admin.admin.MemberChoicesAutocompleteMixin into "
                        f"the admin of {target._meta.label}.",
                        obj=type(model_admin),
                        id="schemaswitch_admin.W102",
                    )
                )
    return warnings


#: Settings that bound how many schemas one page lists.
PAGE_LIMIT_SETTINGS = ("SCHEMASWITCH_SELECTOR_LIMIT", "SCHEMASWITCH_CHOOSER_PAGE_SIZE")


@checks.register(checks.Tags.admin)
def check_page_limits(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A bad limit would only show when the first page renders the selector or the chooser;
    say so at start-up instead."""
    errors: list[checks.CheckMessage] = []
    for name in PAGE_LIMIT_SETTINGS:
        value = getattr(settings, name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                checks.Error(
                    f"{name} must be a positive integer, not {value!r}.",
                    id="schemaswitch_admin.E103",
                )
            )
    return errors
