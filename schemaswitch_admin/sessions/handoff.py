"""Between the schema-aware session store and the middleware: telling the store which
schema a request wants before its session is read, and turning what the read found into the
``Check`` the middleware would otherwise get from ``check_and_enter``.

Duck-typed on the store, so it costs nothing with other engines (they keep their extra
statement) and imports no model (the sessions app may not be installed).
"""

from __future__ import annotations

from typing import Any

from .. import conf
from ..access import is_usable_user
from ..entering import Check, decide
from ..exceptions import InvalidSchemaName
from ..validation import validate_schema_name


def enterable(name: str) -> bool:
    """Names ``check_and_enter`` would look up (it answers the others without a statement)."""
    if name == conf.template_schema():
        return False
    try:
        validate_schema_name(name)
    except InvalidSchemaName:
        return False
    return True


def tell_wanted(session: Any, requested: str | None) -> None:
    """``requested``: the schema the request names (URL marker, ``?__schema=``, header),
    ``None`` when it follows the session's choice."""
    want = getattr(session, "want_schema", None)
    if want is None:
        return
    if requested is None:
        want(None)
    else:
        want(requested if requested and enterable(requested) else "")


def checked_by_session(session: Any, user: Any, name: str, using: str) -> Check | None:
    """The check the session read already made for ``user`` and schema ``name`` on database
    ``using``, or ``None`` when there is none that is valid for exactly that (then the caller
    runs ``check_and_enter``)."""
    take = getattr(session, "take_membership_read", None)
    if take is None:
        return None
    read = take()
    if read is None or read.alias != using or read.name != name:
        return None
    if not is_usable_user(user) or not enterable(name) or read.user_id != user.pk:
        return None
    return decide(user, name, read.schema, read.membership_id, read.role)
