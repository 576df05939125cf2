"""The answers the request layer gives instead of a view's: refusals and "choose a schema".

Browsers get pages and redirects; API and AJAX clients get JSON with a stable ``error`` code,
because a redirect to an HTML chooser is useless to them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.encoding import escape_uri_path
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from .entering import Check, Verdict


def wants_json(request: HttpRequest) -> bool:
    """JSON clients: they ask for JSON, send JSON, or say they are scripts (AJAX)."""
    if request.headers.get("X-Requested-With"):
        return True
    if "json" in (request.content_type or ""):
        return True
    accept = request.headers.get("Accept", "")
    return any(part.split(";", 1)[0].strip().endswith("json") for part in accept.split(","))


def refusal_reason(check: Check) -> tuple[str, str]:
    """The public error code and message for a refused check.

    Unknown names, the template and schemas the user is not a member of all get the same
    answer, so the refusal does not tell an outsider which tenants exist.
    """
    if check.verdict is Verdict.ANONYMOUS:
        return "login_required", _("Log in to choose a schema.")
    if check.verdict is Verdict.INACTIVE:
        return "schema_inactive", _("This schema has been deactivated and cannot be used.")
    return "schema_forbidden", _("You cannot use this schema.")


def refusal(request: HttpRequest, check: Check) -> HttpResponse:
    code, message = refusal_reason(check)
    if wants_json(request):
        return JsonResponse({"error": code, "detail": message}, status=403)
    return render(
        request,
        "schemaswitch_admin/refused.html",
        {"title": _("Schema not available"), "error": code, "detail": message},
        status=403,
    )


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": "bad_request", "detail": message}, status=400)
    return render(
        request,
        "schemaswitch_admin/refused.html",
        {"title": _("Bad request"), "error": "bad_request", "detail": message},
        status=400,
    )


def chooser_url(next_url: str | None = None) -> str:
    url = reverse("schemaswitch_admin:choose")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return url


def schema_needed(request: HttpRequest) -> HttpResponse:
    """Answer a request that reached a view needing a schema while none is chosen."""
    user: Any = getattr(request, "user", None)
    path = request.get_full_path()
    if user is None or not user.is_authenticated:
        if wants_json(request):
            return JsonResponse(
                {"error": "login_required", "detail": _("Log in to choose a schema.")},
                status=403,
            )
        return redirect_to_login(path)
    url = chooser_url(path)
    if wants_json(request):
        return JsonResponse(
            {
                "error": "schema_required",
                "detail": _("Choose a schema first."),
                "choose_url": url,
            },
            status=403,
        )
    return HttpResponseRedirect(url)


def safe_next(request: HttpRequest, candidate: object) -> str | None:
    """``candidate`` when it is a URL on this site, else ``None`` (never an open redirect)."""
    if not isinstance(candidate, str) or not candidate:
        return None
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def url_without_parameter(request: HttpRequest, parameter: str) -> str:
    """The request's own URL without ``parameter``, every other query parameter kept."""
    query = request.GET.copy()
    query.pop(parameter, None)
    url = escape_uri_path(request.path)
    if query:
        url += "?" + query.urlencode()
    return url
