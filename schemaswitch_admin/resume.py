"""Logging in resumes the schema the user worked in last, instead of asking again.

Runs on ``user_logged_in``: the session gets the most recently used schema the user may still
use (``Membership.last_used_at``, one query). The next request re-checks it like any session
choice. Turned off by ``SCHEMASWITCH_RESUME_LAST_SCHEMA = False``.
"""

from __future__ import annotations

from typing import Any

from . import conf


def resume_last_schema(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from .access import usable_schemas
    from .models import Membership
    from .selection import SESSION_KEY

    session = getattr(request, "session", None)
    if session is None or not conf.resume_last_schema() or session.get(SESSION_KEY):
        return
    name = (
        Membership.objects.filter(
            user=user,
            last_used_at__isnull=False,
            schema__in=usable_schemas(user).values("pk"),
        )
        .order_by("-last_used_at")
        .values_list("schema__name", flat=True)
        .first()
    )
    if name is not None:
        session[SESSION_KEY] = name
