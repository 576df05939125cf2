"""The session table of the schema-aware engine: Django's columns plus the user and the
chosen schema, which the store keeps equal to what the session data says on every save."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


class SchemaSession(AbstractBaseSession):
    #: The signed-in user (``_auth_user_id`` of the data), for the membership join. No
    #: database constraint and no cascade: like Django's own sessions, deleting a user leaves
    #: the row, which then names no user (Django's ``get_user`` answers anonymous).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    #: The session's choice (``selection.SESSION_KEY``), ``NULL`` for none.
    schema_name = models.CharField(_("schema"), max_length=63, null=True, blank=True)
    #: The ``search_path`` value of that schema, built in Python by psycopg's quoting
    #: (``path_value``) when the session is saved, so the read never composes it in SQL.
    schema_path = models.TextField(_("search path"), null=True, blank=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "schemaswitch_session"

    @classmethod
    def get_session_store_class(cls) -> type:
        from .db import SessionStore

        return SessionStore
