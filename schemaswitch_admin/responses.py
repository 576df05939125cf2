"""The answers the request layer gives instead of a view's: refusals and "choose a schema".

Browsers get pages and redirects; API and AJAX clients get JSON with a stable ``error`` code,
because a redirect to an HTML chooser is useless to them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from . import conf
from .access import Verdict
from .entering import Check
from .exceptions import InvalidSchemaName
from .urlmarker import split_marker, with_marker
from .validation import validate_schema_name


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
    """403 for a schema the user may not use. The page names the schema as it was asked for
    (never its display name, which would tell an outsider that it exists), the schema still
    active for unbound pages, and leads back, to the chooser and to logging out."""
    code, message = refusal_reason(check)
    if wants_json(request):
        return JsonResponse({"error": code, "detail": message}, status=403)
    return render(
        request,
        "schemaswitch_admin/refused.html",
        {
            **page_context(request, request.path_info),
            "title": _("Schema not available"),
            "error": code,
            "detail": message,
            "refused_name": check.name,
            "still_active": still_active_schema(request, check.name),
        },
        status=403,
    )


def conflict(request: HttpRequest, form_schema: str, active: Any) -> HttpResponse:
    """409 for an unsafe request whose page was rendered in another schema than the one it
    would act in: nothing ran, and the page offers to reopen the form where it belongs."""
    active_name = None if active is None else active.name
    detail = _(
        "This form belongs to the schema “%(form)s”, but this request would act in "
        "%(active)s. Nothing was saved."
    ) % {
        "form": form_schema,
        "active": _("no schema") if active is None else f"“{active}”",
    }
    if wants_json(request):
        return JsonResponse(
            {
                "error": "schema_conflict",
                "detail": detail,
                "form_schema": form_schema,
                "active_schema": active_name,
            },
            status=409,
        )
    back = referer_on_site(request) or conf.switch_redirect_url()
    prefix = getattr(request, "schemaswitch_script_prefix", "/")
    return render(
        request,
        "schemaswitch_admin/conflict.html",
        {
            **page_context(request, request.path_info),
            "title": _("This form belongs to another schema"),
            "error": "schema_conflict",
            "detail": detail,
            "form_schema": form_schema,
            "active_schema": active,
            "reopen_url": reopen_url(back, form_schema, prefix) if _is_name(form_schema) else back,
            "stay_url": reopen_url(back, active_name, prefix) if active_name else back,
        },
        status=409,
    )


def _is_name(candidate: str) -> bool:
    """The form's schema comes from the client: only a valid name goes into a link."""
    try:
        validate_schema_name(candidate)
    except InvalidSchemaName:
        return False
    return True


def reopen_url(url: str, name: str, prefix: str = "/") -> str:
    """``url`` opened in schema ``name``: bound by the marker, or by ``?__schema=`` when
    markers are off."""
    from .selection import QUERY_PARAMETER

    if conf.url_marker():
        return with_marker(url, name, prefix)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode({QUERY_PARAMETER: name})}"


def still_active_schema(request: HttpRequest, refused: str) -> Any:
    """The schema the user is still in after a refusal, when they may still use it: the one
    the URL is bound to (a ``?__schema=`` refused on a bound page), else the session's."""
    from .access import usable_schemas
    from .selection import SESSION_KEY

    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    name = getattr(request, "schema_marker", None)
    if not name or name == refused:
        name = session.get(SESSION_KEY) if session is not None else None
    if not name or user is None or not user.is_authenticated:
        return None
    return usable_schemas(user).filter(name=name).first()


def page_context(request: HttpRequest, path: str | None) -> dict[str, Any]:
    """What every page of the request layer needs: the base template (the admin's when the
    page is about an admin URL, else ``SCHEMASWITCH_BASE_TEMPLATE``), a way back to the site
    and the logout URL."""
    admin = is_admin_path(request, path)
    return {
        "base_template": "schemaswitch_admin/admin_base.html" if admin else conf.base_template(),
        "schemaswitch_request_layer_page": True,
        "site_url": conf.switch_redirect_url(),
        "back_url": referer_on_site(request),
        "logout_url": logout_url(admin),
    }


def is_admin_path(request: HttpRequest, path: str | None) -> bool:
    """Whether ``path`` (a path on this site, possibly bound to a schema) is an admin page."""
    if not path:
        return False
    path = urlsplit(path).path
    prefix = getattr(request, "schemaswitch_script_prefix", "/")
    if path.startswith(prefix):
        path = "/" + path[len(prefix) :]
    path = split_marker(path)[1]
    try:
        match = resolve(path, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return "admin" in match.app_names


def logout_url(admin: bool) -> str | None:
    """Django's logout views take a POST; the page renders a small form for it."""
    names = ("admin:logout", "logout") if admin else ("logout", "admin:logout")
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def referer_on_site(request: HttpRequest) -> str | None:
    """The page the user came from, as a path, when it is on this site."""
    referer = request.headers.get("Referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.get_host():
        return None
    path = urlunsplit(("", "", parts.path, parts.query, ""))
    return safe_next(request, path)


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": "bad_request", "detail": message}, status=400)
    return render(
        request,
        "schemaswitch_admin/refused.html",
        {
            **page_context(request, request.path_info),
            "title": _("Bad request"),
            "error": "bad_request",
            "detail": message,
        },
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


def is_on_site(request: HttpRequest, candidate: str) -> bool:
    """Whether a browser following ``candidate`` stays on this site.

    Django's ``url_has_allowed_host_and_scheme`` first, then what browsers do to a URL before
    following it (drop tabs and newlines, read backslashes as slashes): what is left must be
    an absolute URL of this host or a path from the root (``/...``, not ``//host``). Paths
    relative to the current page are refused too: where they lead depends on the page.
    """
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return False
    normalized = "".join(c for c in candidate.strip() if c not in "\t\r\n").replace("\\", "/")
    parts = urlsplit(normalized)
    if parts.scheme or parts.netloc:
        return parts.netloc == request.get_host() and parts.scheme in ("http", "https")
    return normalized.startswith("/") and not normalized.startswith("//")


def safe_next(request: HttpRequest, candidate: object) -> str | None:
    """``candidate`` when it is a URL on this site, else ``None`` (never an open redirect)."""
    if not isinstance(candidate, str) or not candidate:
        return None
    if is_on_site(request, candidate):
        return candidate
    return None


def safe_redirect(request: HttpRequest, url: str, fallback: str = "/") -> HttpResponseRedirect:
    """A redirect to ``url`` when it stays on this site, else to ``fallback``: every redirect
    the request layer builds goes through here."""
    return HttpResponseRedirect(url if is_on_site(request, url) else fallback)
