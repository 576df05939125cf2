"""``ModelAdmin`` support for private (per-schema) models.

With a schema active the admin works as usual; the schema shows in banners and in the log.
With none active a private model has no table to read: instead of a database error, its pages
explain that a schema must be chosen, and the index lists it without links.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ..access import usable_schemas
from ..state import get_active_schema
from .bases import ModelAdmin, ModelAdminMixinBase
from .choices import MemberChoicesMixin
from .logentries import entries_in_active_schema, record_schema

SCHEMA_REQUIRED_TEMPLATE = "schemaswitch_admin/admin/schema_required.html"


def chooser_url(request: HttpRequest) -> str | None:
    """The request layer's chooser page, returning to this page once a schema is chosen."""
    try:
        url = reverse("schemaswitch_admin:choose")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


class SchemaAwareAdminMixin(MemberChoicesMixin, ModelAdminMixinBase):
    """Mix into the ``ModelAdmin`` of every private model (before ``ModelAdmin``)."""

    schema_required_template: str = SCHEMA_REQUIRED_TEMPLATE

    # -- no schema active ---------------------------------------------------------------

    def schema_required_response(self, request: HttpRequest) -> HttpResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _("Choose a schema"),
            "subtitle": None,
            "opts": opts,
            "model_name_plural": capfirst(opts.verbose_name_plural),
            "chooser_url": chooser_url(request),
            "user_has_schemas": usable_schemas(request.user).exists(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.schema_required_template, context)

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        """Without a schema: listed (one ``True`` value keeps it in the app list) but with no
        add or change link, which is how the admin shows a model that cannot be used."""
        if get_active_schema() is None:
            return {
                "add": False,
                "change": False,
                "delete": False,
                "view": False,
                "needs_schema": True,
            }
        return super().get_model_perms(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return get_active_schema() is not None and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return get_active_schema() is not None and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return get_active_schema() is not None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return get_active_schema() is not None and super().has_delete_permission(request, obj)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if get_active_schema() is None:
            return self.schema_required_response(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        if get_active_schema() is None:
            return self.schema_required_response(request)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if get_active_schema() is None:
            return self.schema_required_response(request)
        return super().history_view(request, object_id, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if get_active_schema() is None:
            return self.schema_required_response(request)
        return super().delete_view(request, object_id, extra_context)

    # -- the log ----------------------------------------------------------------------

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        record_schema(entry, getattr(request, "schema", None))
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        record_schema(entry, getattr(request, "schema", None))
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)
        record_schema(entries, getattr(request, "schema", None))
        return entries

    def get_paginator(self, request: HttpRequest, queryset: Any, *args: Any, **kwargs: Any) -> Any:
        """The object history page pages through ``LogEntry`` rows of this object id, which
        exists in every schema; only the active schema's entries are this object's."""
        if getattr(queryset, "model", None) is LogEntry:
            queryset = entries_in_active_schema(queryset)
        return super().get_paginator(request, queryset, *args, **kwargs)


class SchemaAwareModelAdmin(SchemaAwareAdminMixin, ModelAdmin):
    """A ``ModelAdmin`` for a private model."""
