"""The write guard: an unsafe request never acts in another schema than its page's.

A page bound by its URL posts to a bound URL, so its writes land in its own schema. Forms
whose action names no schema carry ``{% schema_token %}`` (the ``__page_schema`` field) and
scripts send the ``X-Page-Schema`` header: when the schema they name is not the one the
request would act in (another tab switched the session since), the request is answered with
409 before any view runs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from .responses import conflict
from .selection import PAGE_FIELD, PAGE_HEADER, is_unsafe

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def page_schema_claim(request: HttpRequest, read_body: bool = True) -> str | None:
    """The schema the sending page says it was rendered in, or ``None`` when it says nothing."""
    if PAGE_HEADER in request.headers:
        return request.headers[PAGE_HEADER].strip()
    if read_body and request.method == "POST" and request.content_type in _FORM_TYPES:
        # CsrfViewMiddleware reads request.POST of every POST too: no extra parsing cost.
        value = request.POST.get(PAGE_FIELD)
        if value is not None:
            return value.strip()
    return None


def conflicting_write(request: HttpRequest, view_func: Any = None) -> HttpResponse | None:
    """The 409 answer for an unsafe request whose page belongs to another schema.

    The body of a ``csrf_exempt`` view's request is left unread, as Django's CSRF check leaves
    it (such a view may read ``request.body`` itself, or change its upload handlers): there
    only the ``X-Page-Schema`` header is looked at.
    """
    if not is_unsafe(request):
        return None
    claim = page_schema_claim(request, read_body=not getattr(view_func, "csrf_exempt", False))
    if claim is None:
        return None
    schema = getattr(request, "schema", None)
    if claim == ("" if schema is None else schema.name):
        return None
    return conflict(request, claim, schema)


def _protected_view(request: HttpRequest) -> HttpResponse:
    """Stands for the view in the CSRF check below; not ``csrf_exempt`` on purpose.
    ``process_view`` only inspects it, so it never runs."""
    raise AssertionError("the CSRF check's stand-in view is never called")


def csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    """Django's CSRF answer for ``request``, ``None`` when it passes (or was passed already).

    A session switch must never happen on a forged request, whatever the view's own CSRF
    stance and wherever CsrfViewMiddleware sits in ``MIDDLEWARE``.
    """
    if getattr(request, "csrf_processing_done", False):
        return None
    return CsrfViewMiddleware(_protected_view).process_view(request, _protected_view, (), {})
