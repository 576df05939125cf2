"""Which schema a request runs in: the session's choice, a switch asked for by this request,
or the user's only schema. Every way in goes through ``check_and_enter``, so membership is
checked on every request, not just when the choice was made.

The choice lives in the session under ``SESSION_KEY``: a schema name, or ``""`` when the user
deliberately chose none (then no schema is picked for them automatically).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf
from .access import usable_schemas
from .entering import Check, Verdict, check_and_enter, path_not_needed, schema_db_alias
from .responses import refusal, url_without_parameter
from .state import schema_context

SESSION_KEY = "_schemaswitch_schema"
QUERY_PARAMETER = "__schema"
HEADER = "X-Change-Schema"

_NOTICES_ATTR = "_schemaswitch_notices"


def usable_schemas_for(user: Any) -> Any:
    """The schemas ``user`` may switch to, with the inactive rule of ``check_and_enter``."""
    from .entering import user_may_use_inactive

    return usable_schemas(user, include_inactive=user_may_use_inactive(user))


def requested_switch(request: HttpRequest) -> tuple[str | None, str | None]:
    """The name this request asks to switch to (``""``: none) and how it asked."""
    if QUERY_PARAMETER in request.GET:
        return request.GET[QUERY_PARAMETER], "query"
    if HEADER in request.headers:
        return request.headers[HEADER].strip(), "header"
    return None, None


def remember(request: HttpRequest, check: Check, source: str) -> None:
    """Make an allowed check the session's choice and this request's schema."""
    schema = check.schema
    if not check.allowed or schema is None:
        raise ValueError(f"refused check for {check.name!r} cannot become the choice")
    request.schema = schema  # type: ignore[attr-defined]
    request.schema_choice_source = source  # type: ignore[attr-defined]
    if request.session.get(SESSION_KEY) == schema.name:
        return
    request.session[SESSION_KEY] = schema.name
    if check.membership_id is not None:
        from .models import Membership

        # Inside the schema: the path the check set stays valid, no extra SET.
        with schema_context(schema.name):
            Membership.objects.filter(pk=check.membership_id).update(last_used_at=timezone.now())


def choose_none(request: HttpRequest, source: str) -> None:
    """The user deliberately chose no schema (an empty switch)."""
    request.schema = None  # type: ignore[attr-defined]
    request.schema_choice_source = source  # type: ignore[attr-defined]
    if request.session.get(SESSION_KEY) != "":
        request.session[SESSION_KEY] = ""


def notify(request: HttpRequest, message: str) -> None:
    """Queue a warning for the user; delivered through ``django.contrib.messages`` now, or by
    the middleware's ``process_view`` when the message middleware has not run yet."""
    if hasattr(request, "_messages"):
        messages.warning(request, message, fail_silently=True)
    else:
        pending = getattr(request, _NOTICES_ATTR, None)
        if pending is None:
            pending = []
            setattr(request, _NOTICES_ATTR, pending)
        pending.append(message)


def deliver_notices(request: HttpRequest) -> None:
    for message in getattr(request, _NOTICES_ATTR, ()):
        messages.warning(request, message, fail_silently=True)
    if hasattr(request, _NOTICES_ATTR):
        delattr(request, _NOTICES_ATTR)


def _lost_choice_message(check: Check) -> str:
    if check.verdict is Verdict.INACTIVE:
        return _("The schema “%(name)s” has been deactivated; choose another one.") % {
            "name": check.schema or check.name
        }
    if check.verdict in (Verdict.NOT_MEMBER, Verdict.ANONYMOUS):
        return _("You no longer have access to the schema “%(name)s”; choose another one.") % {
            "name": check.schema or check.name
        }
    return _("The schema “%(name)s” no longer exists; choose another one.") % {
        "name": check.name
    }


def choose_for_request(request: HttpRequest) -> HttpResponse | None:
    """Settle ``request.schema`` and ``request.schema_choice_source``; return a response when
    the request is answered here (a refusal, or the redirect after a ``?__schema=`` GET)."""
    request.schema = None  # type: ignore[attr-defined]
    request.schema_choice_source = None  # type: ignore[attr-defined]
    using = schema_db_alias()
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        # Loading the session and the user reads shared tables only, so it needs no SET.
        # (An authentication backend reading private tables must activate a schema itself.)
        with path_not_needed(using):
            authenticated = request.user.is_authenticated  # type: ignore[attr-defined]
    else:
        authenticated = getattr(getattr(request, "user", None), "is_authenticated", False)
    requested, source = requested_switch(request)
    if requested is not None and source is not None:
        return _switch_from_request(request, requested, source, authenticated)
    if not authenticated:
        return None
    stored = request.session.get(SESSION_KEY)
    if stored:
        check = check_and_enter(request.user, stored, using=using)  # type: ignore[attr-defined]
        if check.allowed:
            request.schema = check.schema  # type: ignore[attr-defined]
            request.schema_choice_source = "session"  # type: ignore[attr-defined]
        else:
            del request.session[SESSION_KEY]
            notify(request, _lost_choice_message(check))
        return None
    if stored is None and conf.auto_select_single_schema():
        _auto_select(request, using)
    return None


def _switch_from_request(
    request: HttpRequest, requested: str, source: str, authenticated: bool
) -> HttpResponse | None:
    user = request.user  # type: ignore[attr-defined]
    if not authenticated:
        return refusal(request, Check(requested, Verdict.ANONYMOUS))
    if requested == "":
        choose_none(request, source)
    else:
        check = check_and_enter(user, requested)
        if not check.allowed:
            return refusal(request, check)
        remember(request, check, source)
    if source == "query" and request.method in ("GET", "HEAD"):
        return HttpResponseRedirect(url_without_parameter(request, QUERY_PARAMETER))
    return None


def _auto_select(request: HttpRequest, using: str) -> None:
    user = request.user  # type: ignore[attr-defined]
    with path_not_needed(using):
        names = list(usable_schemas_for(user).values_list("name", flat=True)[:2])
    if len(names) != 1:
        return
    check = check_and_enter(user, names[0], using=using)
    if check.allowed:
        remember(request, check, "auto")
