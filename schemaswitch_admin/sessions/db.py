"""``SESSION_ENGINE = "schemaswitch_admin.sessions.db"``: Django's database session store on
the schema-aware table, whose read also re-checks the membership and sets the path.

The middleware tells the store which schema the request wants before the session is first
read (``want_schema``) and takes what the read found afterwards (``take_membership_read``);
``handoff`` decides whether it is valid for the request. Anything else (another alias, no
path keeper, an early read) leaves the store a plain database session store, and the
middleware runs its own check as with any other engine.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import SESSION_KEY as AUTH_USER_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import connections, router
from django.utils import timezone

from ..backends.postgresql.search_path import path_value
from ..exceptions import InvalidSchemaName
from ..selection import SESSION_KEY as SCHEMA_KEY
from ..validation import validate_schema_name
from .reading import SessionRead, read_session


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        #: The schema the request asks for: ``None`` the session's own choice, ``""`` none.
        self._wanted: str | None = None
        self._read: SessionRead | None = None

    @classmethod
    def get_model_class(cls) -> type:
        from .models import SchemaSession

        return SchemaSession

    # -- what the middleware calls ----------------------------------------------------------

    def want_schema(self, name: str | None) -> None:
        """The schema the coming read should check and enter (``None``: the session's own
        choice, ``""``: none). Has no effect once the session was read."""
        self._wanted = name

    def take_membership_read(self) -> SessionRead | None:
        """What the session read found, once; ``None`` when the session has been read under
        another key since (rotated, flushed) or was not read by this store's statement."""
        read, self._read = self._read, None
        if read is None or read.session_key != self.session_key:
            return None
        return read

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        self._read = None
        using = router.db_for_read(self.model) or "default"
        if getattr(connections[using], "schema_path", None) is None:
            return super().load()  # not our backend: nobody would know the path it sets
        key = self.session_key
        try:
            found = read_session(self.model, key, self._wanted, timezone.now(), using)
        except SuspiciousOperation as e:
            logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            found = None
        if found is None:
            self._session_key = None
            return {}
        data_text, read = found
        data = self.decode(data_text)
        if _same_user(data.get(AUTH_USER_KEY), read.user_id):
            self._read = read
        return data

    async def aload(self) -> dict[str, Any]:
        return await sync_to_async(self.load)()

    # -- writing: the columns follow the data -----------------------------------------------

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        return _with_columns(super().create_model_instance(data), data)

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        return _with_columns(await super().acreate_model_instance(data), data)


def _with_columns(obj: Any, data: dict[str, Any]) -> Any:
    obj.user_id = _user_pk(data.get(AUTH_USER_KEY))
    name = _schema_name(data.get(SCHEMA_KEY))
    obj.schema_name = name
    obj.schema_path = None if name is None else path_value(name)
    return obj


def _user_pk(value: Any) -> Any:
    """The data's ``_auth_user_id`` as the user model's primary key, ``None`` when absent or
    not one."""
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None


def _same_user(value: Any, column: Any) -> bool:
    pk = _user_pk(value)
    return pk is not None and pk == column


def _schema_name(value: Any) -> str | None:
    """Only a valid schema name reaches the column; anything else stores none."""
    if not value:
        return None
    try:
        return validate_schema_name(value)
    except InvalidSchemaName:
        return None
