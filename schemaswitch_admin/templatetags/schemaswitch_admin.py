"""Template tags of the admin integration.

A project that overrides ``admin/base_site.html`` adds the selector with one line in its
``branding`` block (and, optionally, the banners in its ``messages`` block)::

    {% load schemaswitch_admin %}
    {% block branding %}{{ block.super }}{% schema_selector %}{% endblock %}
    {% block messages %}{{ block.super }}{% schema_banner %}{% endblock %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.models import LogEntry
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .. import conf
from ..admin.logentries import entry_admin_url, schema_of, visible_log_entries, with_schema_switch
from ..admin.pages import OBJECT_PAGES, PageKind, admin_page, next_url_after_switch
from ..listing import selector_schemas
from ..schema_model import get_schema_model
from ..sharing import is_shared_model
from ..state import get_active_schema

register = template.Library()

#: Above this many schemas the selector offers a filter box.
FILTER_THRESHOLD = 15


def _request(context: template.Context) -> Any:
    return context.get("request")


def _may_see_admin(context: template.Context) -> bool:
    """The admin puts ``has_permission`` in every page's context; elsewhere, a logged-in
    user is enough (the list is the user's own schemas anyway)."""
    allowed = context.get("has_permission")
    if allowed is not None:
        return bool(allowed)
    request = _request(context)
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _is_request_layer_page(request: Any) -> bool:
    """The chooser and the refusal pages are themselves about choosing a schema."""
    match = getattr(request, "resolver_match", None)
    return match is not None and "schemaswitch_admin" in match.namespaces


def _active_schema_label(request: Any) -> str | None:
    schema = getattr(request, "schema", None)
    if schema is not None:
        return str(schema)
    return get_active_schema()


@register.inclusion_tag("schemaswitch_admin/admin/selector.html", takes_context=True)
def schema_selector(context: template.Context) -> dict[str, Any]:
    """The brand-bar selector: the user's schemas, posted to the request layer's switch view.

    ``next`` is computed here, on the server, from the page being shown: lists stay, a
    private object's page goes to its model's list (the object is not in the other schema).
    At most ``SCHEMASWITCH_SELECTOR_LIMIT`` schemas (the active one, the most recently used,
    then by name), and a link to the chooser when the user may use more: a superuser over
    ten thousand schemas must not get ten thousand options on every page. Costs one query.
    """
    request = _request(context)
    if (
        request is None
        or not _may_see_admin(context)
        or context.get("schemaswitch_request_layer_page")
        or _is_request_layer_page(request)
    ):
        return {"show": False}
    try:
        switch_url = reverse("schemaswitch_admin:switch")
    except NoReverseMatch:
        return {"show": False}
    active = get_active_schema()
    schemas, more = selector_schemas(request.user, active, conf.selector_limit())
    next_url = next_url_after_switch(request)
    return {
        "show": bool(schemas),
        "schemas": schemas,
        "active_name": active,
        "active_known": any(schema.name == active for schema in schemas),
        "switch_url": switch_url,
        "next_url": next_url,
        "show_filter": more or len(schemas) > FILTER_THRESHOLD,
        "chooser_url": _chooser_url(next_url) if more else None,
    }


def _chooser_url(next_url: str) -> str | None:
    """The chooser, returning to where the selector would have gone."""
    try:
        url = reverse("schemaswitch_admin:choose")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def banner_message(request: Any, app_list: Any = None) -> SafeString | None:
    """The sentence that tells where the rows on this page come from, if it matters here."""
    page = admin_page(request)
    schema = _active_schema_label(request)
    if page.is_private and schema is not None:
        if page.kind is PageKind.CHANGELIST:
            return format_html(_("Only showing objects from {}."), _strong(schema))
        if page.kind in OBJECT_PAGES:
            change_url = _change_url(request, page)
            message = format_html(_("This object belongs to {}."), _strong(schema))
            if change_url is None:
                return message
            return format_html(
                '{} <a href="{}" class="schemaswitch-permalink">{}</a>',
                message,
                with_schema_switch(change_url, get_active_schema()),
                _("Link to this object in this schema"),
            )
        if page.kind is PageKind.ADD:
            return format_html(_("The new object will be added to {}."), _strong(schema))
    if (
        schema is None
        and page.kind in {PageKind.INDEX, PageKind.APP_INDEX}
        and _lists_private_models(app_list)
    ):
        return format_html(
            "{}",
            _(
                "No schema is active. Models kept per schema are listed without links; "
                "choose a schema in the header to work with them."
            ),
        )
    return None


def _strong(text: str) -> SafeString:
    return format_html("<strong>{}</strong>", text)


def _change_url(request: Any, page: Any) -> str | None:
    match = request.resolver_match
    object_id = match.kwargs.get("object_id")
    if object_id is None:
        return None
    opts = page.model._meta
    site = page.model_admin.admin_site.name
    try:
        return reverse(
            f"{site}:{opts.app_label}_{opts.model_name}_change",
            args=[object_id],
            current_app=site,
        )
    except NoReverseMatch:
        return None


def _lists_private_models(app_list: Any) -> bool:
    for app in app_list or ():
        for model in app.get("models", ()):
            if not is_shared_model(model["model"]):
                return True
    return False


@register.inclusion_tag("schemaswitch_admin/admin/banner.html", takes_context=True)
def schema_banner(context: template.Context) -> dict[str, Any]:
    """"Only showing objects from …" and its siblings; empty where nothing needs saying."""
    request = _request(context)
    if request is None or not _may_see_admin(context):
        return {"message": None}
    return {"message": banner_message(request, context.get("app_list"))}


@register.simple_tag(takes_context=True)
def schema_admin_log(
    context: template.Context, limit: int = 10, user: Any = None
) -> list[LogEntry]:
    """The user's latest log entries, less those of schemas they may not use, each with
    ``schema_name``, ``schema_label`` (what the selector and the banners call the schema: its
    display name, else its name) and ``schema_admin_url`` (the object's link carrying the
    schema switch).

    Usage: ``{% schema_admin_log 10 as admin_log %}`` (one query: the label comes from a
    subquery, so a page of entries does not cost a query per schema).
    """
    if user is None:
        user = context.get("user") or getattr(_request(context), "user", None)
    if user is None or not user.is_authenticated:
        return []
    labels = (
        get_schema_model()
        .objects.filter(pk=OuterRef("schemaswitch__schema_id"))
        .annotate(label=Coalesce(NullIf("display_name", Value("")), "name"))
        .values("label")[:1]
    )
    queryset = (
        LogEntry.objects.filter(user_id=user.pk)
        .select_related("content_type", "user", "schemaswitch")
        .annotate(schema_label=Subquery(labels))
    )
    entries = list(visible_log_entries(user, queryset)[: int(limit)])
    for entry in entries:
        entry.schema_name = schema_of(entry)
        # A schema whose row is gone keeps its name.
        entry.schema_label = entry.schema_label or entry.schema_name
        entry.schema_admin_url = None if entry.is_deletion() else entry_admin_url(entry)
    return entries
