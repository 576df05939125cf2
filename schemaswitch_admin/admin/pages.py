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

from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR, ModelAdmin
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, reverse

from ..sharing import is_shared_model

#: Where the admin keeps a changelist's filters on the pages opened from it.
PRESERVED_FILTERS_VAR = "_changelist_filters"


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
    model_admin: ModelAdmin[Any] | None = None

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

    A list stays where it is, less what would mean something else in the other schema: the
    page number, and filters naming private rows by key (``?client__id__exact=1`` is another
    client there). Search, ordering and filters on plain fields stay. One private object
    means nothing in another schema, so its model's list is shown instead (with the same
    treatment of the list's preserved filters).
    """
    page = admin_page(request)
    if page.shows_private_object:
        url = page.changelist_url()
        if url is not None:
            preserved = QueryDict(request.GET.get(PRESERVED_FILTERS_VAR, ""), mutable=True)
            return _with_query(url, _portable_query(page.model, preserved))
    if page.kind is PageKind.CHANGELIST and page.model is not None:
        query = _portable_query(page.model, request.GET.copy())
        for key in (PAGE_VAR, ERROR_FLAG):
            query.pop(key, None)
        return _with_query(request.path, query)
    if page.model is not None and PRESERVED_FILTERS_VAR in request.GET:
        query = request.GET.copy()
        # One value: the encoded filters of the changelist.
        preserved = QueryDict(query[PRESERVED_FILTERS_VAR], mutable=True)  # type: ignore[call-overload]
        kept = _portable_query(page.model, preserved)
        if kept:
            query[PRESERVED_FILTERS_VAR] = kept.urlencode()
        else:
            query.pop(PRESERVED_FILTERS_VAR)
        return _with_query(request.path, query)
    return request.get_full_path()


def _with_query(path: str, query: QueryDict) -> str:
    encoded = query.urlencode()
    return path + (f"?{encoded}" if encoded else "")


#: Changelist parameters that are not filters and mean the same in every schema.
_NEUTRAL_PARAMETERS = frozenset({SEARCH_VAR, ORDER_VAR, ALL_VAR, IS_POPUP_VAR, TO_FIELD_VAR})


def _portable_query(model: Any, query: QueryDict) -> QueryDict:
    """``query`` less the parameters that would select other rows in another schema."""
    for key in list(query):
        if key in _NEUTRAL_PARAMETERS or key in (PAGE_VAR, ERROR_FLAG):
            continue
        if not filter_means_the_same_elsewhere(model, key):
            query.pop(key)
    return query


def filter_means_the_same_elsewhere(model: Any, lookup: str) -> bool:
    """Whether the changelist filter ``lookup`` selects the same kind of rows in every schema.

    Filters on plain values (``status``, ``created__year``, ``client__name__icontains``) do;
    a filter whose value is a private row's key (``client``, ``client__id__exact``,
    ``id__in``) names another row, or none, in the other schema, so it does not. Keys of
    shared rows (users) mean the same everywhere. Parameters that are not a field path (a
    custom ``SimpleListFilter``'s) cannot be judged and are dropped.
    """
    opts = model._meta
    last = None
    lookups: list[str] = []
    parts = lookup.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        field = _field(opts, part)
        if field is None:
            lookups = parts[index:]
            break
        last = field
        related = field.related_model if field.is_relation else None
        if related is None:
            lookups = parts[index + 1 :]
            break
        opts = related._meta
    if last is None:
        return False
    if lookups[:1] == ["isnull"]:
        return True
    if last.is_relation:
        return last.related_model is None or is_shared_model(last.related_model)
    if getattr(last, "primary_key", False):
        return is_shared_model(last.model)
    return True


def _field(opts: Any, name: str) -> Any:
    if name == "pk":
        return opts.pk
    try:
        return opts.get_field(name)
    except FieldDoesNotExist:
        # The column name of a foreign key (``client_id``) filters by the related key too.
        for field in opts.concrete_fields:
            if field.is_relation and field.attname == name:
                return field
        return None
