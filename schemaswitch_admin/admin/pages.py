"""What kind of admin page a request is showing, and where a schema switch should land.

The selector and the banners need the same facts: is this a page of a private model, and is it
a list (meaningful in any schema) or one object (meaningful only in the schema it lives in).
They come from the URL resolver, which the admin fills for every view it routes: each
``ModelAdmin`` view carries its ``model_admin`` and a URL name ending in the view's kind.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.options import ModelAdmin
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, reverse

from ..sharing import is_shared_model


class PageKind(enum.Enum):
    INDEX = "index"
    APP_INDEX = "app_list"
    CHANGELIST = "changelist"
    ADD = "add"
    CHANGE = "change"
    HISTORY = "history"
    DELETE = "delete"
    OTHER = "other"


#: Pages showing one object: after a switch that object is a different one, or none.
OBJECT_PAGES = frozenset({PageKind.CHANGE, PageKind.HISTORY, PageKind.DELETE})

_MODEL_VIEW_SUFFIXES = {
    "changelist": PageKind.CHANGELIST,
    "add": PageKind.ADD,
    "change": PageKind.CHANGE,
    "history": PageKind.HISTORY,
    "delete": PageKind.DELETE,
}


@dataclass(frozen=True)
class AdminPage:
    kind: PageKind
    model_admin: ModelAdmin | None = None

    @property
    def model(self) -> Any:
        return self.model_admin.model if self.model_admin is not None else None

    @property
    def is_private(self) -> bool:
        """True on the pages of a per-schema model."""
        return self.model is not None and not is_shared_model(self.model)

    @property
    def shows_private_object(self) -> bool:
        return self.is_private and self.kind in OBJECT_PAGES

    def changelist_url(self) -> str | None:
        if self.model_admin is None:
            return None
        opts = self.model._meta
        site = self.model_admin.admin_site.name
        try:
            return reverse(
                f"{site}:{opts.app_label}_{opts.model_name}_changelist", current_app=site
            )
        except NoReverseMatch:
            return None


def admin_page(request: HttpRequest | None) -> AdminPage:
    """Classify the page ``request`` resolved to; ``OTHER`` when it is not a known admin view."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return AdminPage(PageKind.OTHER)
    model_admin = getattr(match.func, "model_admin", None)
    url_name = match.url_name or ""
    if isinstance(model_admin, ModelAdmin):
        opts = model_admin.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}_"
        if url_name.startswith(prefix):
            kind = _MODEL_VIEW_SUFFIXES.get(url_name[len(prefix) :], PageKind.OTHER)
            return AdminPage(kind, model_admin)
        return AdminPage(PageKind.OTHER, model_admin)
    if url_name == "index":
        return AdminPage(PageKind.INDEX)
    if url_name == "app_list":
        return AdminPage(PageKind.APP_INDEX)
    return AdminPage(PageKind.OTHER)


def next_url_after_switch(request: HttpRequest) -> str:
    """Where the selector returns to once the new schema is active.

    A list stays where it is (less the page number, which may not exist in the other schema);
    one private object means nothing in another schema, so its model's list is shown instead.
    """
    page = admin_page(request)
    if page.shows_private_object:
        url = page.changelist_url()
        if url is not None:
            return url
    if page.kind is PageKind.CHANGELIST:
        query: QueryDict = request.GET.copy()
        for key in (PAGE_VAR, ERROR_FLAG):
            query.pop(key, None)
        encoded = query.urlencode()
        return request.path + (f"?{encoded}" if encoded else "")
    return request.get_full_path()
