"""Which schema a request runs in: the one its URL, ``?__schema=`` or ``X-Change-Schema``
names, else the session's choice, else the user's only schema. Every way in goes through
``check_and_enter``, so membership is checked on every request, not just when the choice was
made.

The session's choice is only the default of URLs that name no schema, since every tab of a
browser shares it. It lives in the session under ``SESSION_KEY``: a schema name, or ``""``
when the user deliberately chose none (then no schema is picked for them automatically). It
changes only through a request that passed the CSRF check: the switch view, or the header on
an unsafe method.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf
from .access import Verdict, is_usable_user, usable_schemas
from .entering import Check, check_and_enter, path_not_needed, schema_db_alias
from .responses import refusal, safe_redirect
from .sessions.handoff import checked_by_session, tell_wanted
from .state import schema_context
from .urlmarker import marked_prefix, request_url_in

SESSION_KEY = "_schemaswitch_schema"
QUERY_PARAMETER = "__schema"
HEADER = "X-Change-Schema"
#: The form field and header saying which schema the page that sends a request was
#: rendered in (``{% schema_token %}``); an unsafe request acting elsewhere gets a 409.
PAGE_FIELD = "__page_schema"
PAGE_HEADER = "X-Page-Schema"

_NOTICES_ATTR = "_schemaswitch_notices"
_PENDING_ATTR = "_schemaswitch_pending_choice"


def requested_switch(request: HttpRequest) -> tuple[str | None, str | None]:
    """The schema this request names (``""``: none) and how: ``?__schema=``, then the
    ``X-Change-Schema`` header, then the URL's marker (set aside by the middleware)."""
    if QUERY_PARAMETER in request.GET:
        return request.GET[QUERY_PARAMETER], "query"
    if HEADER in request.headers:
        return request.headers[HEADER].strip(), "header"
    marked = getattr(request, "schema_marker", None)
    if marked is not None:
        return marked, "url"
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


def switch_session(request: HttpRequest, name: str, source: str) -> Check | None:
    """Change the session's choice to ``name`` (``""``: no schema), membership-checked.
    Returns the refused check, or ``None`` once switched. The caller has established that
    the request is genuine (a POST that passed CSRF)."""
    user = request.user
    if not is_usable_user(user):
        return Check(name, Verdict.ANONYMOUS)
    if name == "":
        choose_none(request, source)
        return None
    check = check_and_enter(user, name)
    if not check.allowed:
        return check
    remember(request, check, source)
    return None


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
    the request is answered here (a refusal, or the redirect that opens a ``?__schema=`` GET
    in its schema).

    Nothing here writes the session for a request that asks for a switch: that waits for
    ``commit_pending`` (the middleware's ``process_view``), after the CSRF check.
    """
    request.schema = None  # type: ignore[attr-defined]
    request.schema_choice_source = None  # type: ignore[attr-defined]
    using = schema_db_alias()
    requested, source = requested_switch(request)
    session = getattr(request, "session", None)
    # A schema-aware session engine checks and enters the wanted schema in its own read.
    tell_wanted(session, requested)
    session_key = getattr(session, "session_key", None)
    if session_key:
        # Loading the session and the user reads shared tables only, so it needs no SET.
        # (An authentication backend reading private tables must activate a schema itself.)
        # What the keeper knows stays known: a schema-aware session read reports the path
        # it set, and that report must outlive these reads.
        with _shared_reads(using):
            authenticated = request.user.is_authenticated
    else:
        authenticated = getattr(getattr(request, "user", None), "is_authenticated", False)
    if requested is not None and source is not None:
        return _bind_from_request(request, requested, source, authenticated, using)
    if not authenticated:
        return None
    stored = request.session.get(SESSION_KEY)
    if stored:
        check = _enter(request, stored, using)
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


@contextmanager
def _shared_reads(using: str) -> Iterator[None]:
    keeper = getattr(connections[using], "schema_path", None)
    if keeper is None:
        yield
        return
    with keeper.independent():
        yield


def _enter(request: HttpRequest, name: str, using: str) -> Check:
    """The request's check of ``name``: the one its session read already made (a
    schema-aware session engine) when valid for this user and name, else its own statement."""
    user = request.user
    check = checked_by_session(getattr(request, "session", None), user, name, using)
    return check if check is not None else check_and_enter(user, name, using=using)


def is_unsafe(request: HttpRequest) -> bool:
    return request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")


def _bind_from_request(
    request: HttpRequest, requested: str, source: str, authenticated: bool, using: str
) -> HttpResponse | None:
    """A request naming its schema (URL marker, ``?__schema=``, ``X-Change-Schema``): that
    schema for this request, membership-checked. Only the header on an unsafe method also
    changes the session's choice (later, once CSRF has accepted the request)."""
    if not authenticated:
        if source == "url":
            # A bound URL opened logged out (a copied link): the view sends the visitor to
            # log in, and the full path, marker included, comes back and is checked then.
            return None
        return refusal(request, Check(requested, Verdict.ANONYMOUS))
    switches_session = source == "header" and is_unsafe(request)
    if requested == "":
        request.schema_choice_source = source  # type: ignore[attr-defined]
        if switches_session:
            _defer(request, None, source)
        return None
    check = _enter(request, requested, using)
    if not check.allowed or check.schema is None:
        return refusal(request, check)
    if source == "query" and not is_unsafe(request) and conf.url_marker():
        # Open the page bound to that schema: this tab only, never the session.
        target = request_url_in(request, check.schema.name)
        return safe_redirect(request, target, marked_prefix(_script_prefix(request), requested))
    request.schema = check.schema  # type: ignore[attr-defined]
    request.schema_choice_source = source  # type: ignore[attr-defined]
    if switches_session:
        _defer(request, check, source)
    return None


def _script_prefix(request: HttpRequest) -> str:
    return getattr(request, "schemaswitch_script_prefix", "/")


def _defer(request: HttpRequest, check: Check | None, source: str) -> None:
    setattr(request, _PENDING_ATTR, (check, source))


def has_pending_choice(request: HttpRequest) -> bool:
    return hasattr(request, _PENDING_ATTR)


def commit_pending(request: HttpRequest) -> None:
    """Store the choice this request made (a header switch, an automatic selection) in the
    session. Called once the request is known to be genuine (CSRF checked)."""
    pending = getattr(request, _PENDING_ATTR, None)
    if pending is None:
        return
    delattr(request, _PENDING_ATTR)
    check, source = pending
    if check is None:
        choose_none(request, source)
    else:
        remember(request, check, source)


def _auto_select(request: HttpRequest, using: str) -> None:
    user = request.user
    with path_not_needed(using):
        names = list(usable_schemas(user).values_list("name", flat=True)[:2])
    if len(names) != 1:
        return
    check = check_and_enter(user, names[0], using=using)
    if check.allowed:
        request.schema = check.schema  # type: ignore[attr-defined]
        request.schema_choice_source = "auto"  # type: ignore[attr-defined]
        _defer(request, check, "auto")
