"""The switch endpoint and the schema chooser page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe

from . import conf
from .listing import clean_search, ranked_schemas
from .responses import bad_request, page_context, refusal, safe_next, safe_redirect, wants_json
from .selection import SESSION_KEY, switch_session
from .urlmarker import rebind


def _read_payload(request: HttpRequest) -> dict[str, Any] | None:
    """The posted fields, from a form or a JSON object; ``None`` when unreadable."""
    if "json" in (request.content_type or ""):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None
    return {key: request.POST.get(key) for key in ("schema", "next") if key in request.POST}


@csrf_protect
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    """Switch the session's schema (POST ``schema``, optional ``next``); ``schema=""`` leaves
    every schema. Browsers are redirected to ``next`` when it is on this site; JSON clients
    get the new state as JSON."""
    data = _read_payload(request)
    if data is None:
        return bad_request(request, _("The request body is not a JSON object."))
    name = data.get("schema")
    if not isinstance(name, str):
        return bad_request(request, _("Give the schema to switch to in the field “schema”."))
    refused = switch_session(request, name.strip(), "switch")
    if refused is not None:
        return refusal(request, refused)
    target = safe_next(request, data.get("next")) or conf.switch_redirect_url()
    # A ``next`` bound to the old schema (the page the selector was on) moves to the new one.
    schema = request.schema  # type: ignore[attr-defined]
    target = rebind(
        target,
        None if schema is None else schema.name,
        getattr(request, "schemaswitch_script_prefix", "/"),
    )
    if wants_json(request):
        return JsonResponse(
            {
                "schema": None if schema is None else schema.name,
                "display_name": None if schema is None else str(schema),
                "next": target,
            }
        )
    return safe_redirect(request, target, conf.switch_redirect_url())


@login_required
@require_safe
def choose(request: HttpRequest) -> HttpResponse:
    """The schemas the user may use, a page at a time: the most recently used first, then by
    name; ``q`` searches names and display names. A superuser over ten thousand schemas gets
    one page of them, cut by PostgreSQL, never the whole list. A page number out of range
    shows the last page; one that is not a number, the first."""
    current = getattr(request, "schema", None)
    search = clean_search(request.GET.get("q", ""))
    page = Paginator(
        ranked_schemas(request.user, search=search), conf.chooser_page_size()
    ).get_page(request.GET.get("page"))
    chosen = request.session.get(SESSION_KEY)
    first = page.object_list[0] if page.number == 1 and page.object_list else None
    last = first if first is not None and first.last_used_at is not None else None
    next_url = safe_next(request, request.GET.get("next")) or ""
    if wants_json(request):
        return JsonResponse(
            {
                "schemas": [
                    {
                        "name": s.name,
                        "display_name": str(s),
                        "is_active": s.is_active,
                        "last_used_at": s.last_used_at,
                        "current": current is not None and s.pk == current.pk,
                    }
                    for s in page.object_list
                ],
                "current": None if current is None else current.name,
                "q": search,
                "page": page.number,
                "num_pages": page.paginator.num_pages,
                "count": page.paginator.count,
            }
        )
    return render(
        request,
        "schemaswitch_admin/choose.html",
        {
            **page_context(request, next_url),
            "title": _("Choose a schema"),
            "schemas": page.object_list,
            "page_obj": page,
            "page_links": _page_links(page, search, next_url),
            "q": search,
            "current_schema": current,
            "last_used_schema": last,
            "deliberately_none": chosen == "",
            "next": next_url,
            **({"back_url": next_url} if next_url else {}),
        },
    )


def _page_links(page: Any, search: str, next_url: str) -> dict[str, str | None]:
    """Query strings of the neighbouring pages, keeping the search and ``next``."""

    def link(number: int) -> str:
        params: dict[str, str | int] = {"page": number}
        if search:
            params["q"] = search
        if next_url:
            params["next"] = next_url
        return "?" + urlencode(params)

    return {
        "first": link(1) if page.has_previous() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "last": link(page.paginator.num_pages) if page.has_next() else None,
    }
