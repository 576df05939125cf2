"""Validation of schema names, done before any name reaches SQL.

Names are always quoted with ``psycopg.sql.Identifier`` as well; validation is what keeps
odd-but-quotable names (capitals, unicode, spaces) out, so the same name means the same
schema in every tool (psql, pg_dump, logs) without quoting surprises.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from . import conf
from .exceptions import InvalidSchemaName

SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}\Z")
RESERVED_NAMES = frozenset({"public", "information_schema"})


def validate_schema_name(name: object) -> str:
    """Return ``name`` when it may name a tenant schema, else raise ``InvalidSchemaName``.

    Used by the ``Schema`` model field, the activation API and every command taking a name.
    """
    if not isinstance(name, str):
        raise InvalidSchemaName(
            _("A schema name must be a string, not %(type)s."),
            code="type",
            params={"type": type(name).__name__},
        )
    if not SCHEMA_NAME_RE.match(name):
        raise InvalidSchemaName(
            _(
                "%(name)r is not a valid schema name: use 1 to 63 characters, lowercase "
                "ASCII letters, digits and underscores, starting with a letter."
            ),
            code="invalid",
            params={"name": name[:80]},
        )
    if name.startswith("pg_") or name in RESERVED_NAMES or name == conf.template_schema():
        raise InvalidSchemaName(
            _("%(name)r is reserved and cannot be used as a schema name."),
            code="reserved",
            params={"name": name},
        )
    return name


def validate_activatable_name(name: object) -> str:
    """Like ``validate_schema_name`` but also allows the template schema.

    ``migrate`` and cloning must work inside the template; requests never reach it because the
    request layer only activates schemas that have a ``Schema`` row.
    """
    if isinstance(name, str) and name == conf.template_schema():
        return name
    return validate_schema_name(name)
