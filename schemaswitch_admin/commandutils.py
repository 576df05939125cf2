"""Turning schema names given on a command line into schemas that really exist.

Every command that takes a schema name goes through here, so they all refuse the same names
with the same messages, and all agree on what "exists" means: a ``Schema`` row *and* a
PostgreSQL schema (the template has no row; it exists when its PostgreSQL schema does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.base import CommandError
from django.db import connections
from django.utils.translation import gettext as _

from . import conf
from .exceptions import InvalidSchemaName
from .schema_model import get_schema_model
from .validation import validate_activatable_name, validate_schema_name


def checked_name(name: str, *, allow_template: bool = False) -> str:
    """``name`` when it may be used, else a ``CommandError`` carrying the validation message."""
    try:
        if allow_template:
            return validate_activatable_name(name)
        return validate_schema_name(name)
    except InvalidSchemaName as exc:
        raise CommandError(exc.messages[0]) from None


def pg_schemas_present(using: str, names: Iterable[str]) -> set[str]:
    """Which of ``names`` exist as PostgreSQL schemas; one query whatever their number."""
    wanted = list(names)
    if not wanted:
        return set()
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [wanted])
        return {row[0] for row in cursor.fetchall()}


def missing_schemas(using: str, names: Iterable[str]) -> list[str]:
    """The names among ``names`` that lack a ``Schema`` row or a PostgreSQL schema (the
    template only needs the latter), sorted."""
    wanted = set(names)
    template = conf.template_schema()
    rows = set(
        get_schema_model()
        .objects.using(using)
        .filter(name__in=wanted - {template})
        .values_list("name", flat=True)
    )
    if template in wanted:
        rows.add(template)
    present = pg_schemas_present(using, wanted)
    return sorted(wanted - (rows & present))


def existing_schema(name: str, using: str, *, allow_template: bool = False) -> str:
    """Validate ``name`` and make sure the schema exists; ``CommandError`` otherwise."""
    checked_name(name, allow_template=allow_template)
    if missing_schemas(using, [name]):
        raise CommandError(
            _("Unknown schema %(name)r: it has no Schema row or no PostgreSQL schema.")
            % {"name": name}
        )
    return name


def all_schema_names(using: str) -> list[str]:
    """Every schema with a row, by name; the template is not one of them."""
    return list(
        get_schema_model().objects.using(using).order_by("name").values_list("name", flat=True)
    )


def refuse_missing(using: str, names: Iterable[str]) -> None:
    """One ``CommandError`` naming every missing schema, before any work starts."""
    missing = missing_schemas(using, names)
    if missing:
        raise CommandError(
            _("Unknown schema(s), nothing was done: %(names)s.") % {"names": ", ".join(missing)}
        )


def refuse_existing(name: str, using: str) -> None:
    """``CommandError`` when ``name`` is taken by a row or by a PostgreSQL schema."""
    taken_row = get_schema_model().objects.using(using).filter(name=name).exists()
    if taken_row or pg_schemas_present(using, [name]):
        raise CommandError(_("Schema %(name)r already exists.") % {"name": name})


def requested_schema(options: dict[str, Any]) -> tuple[str | None, bool]:
    """The schema a fixture command works in (``--schema``, else the active one) and whether
    the database uses our backend; asking for a schema on another backend is an error."""
    from .routers import uses_schemaswitch_backend
    from .state import get_active_schema

    using = options["database"]
    if options.get("schema") == "":
        # An unset shell variable (``--schema "$TENANT"``) must not turn a private load
        # into a write to the shared tables.
        raise CommandError(
            _(
                "--schema was given an empty name; name a schema, or leave the option out to "
                "work on shared data in 'public'."
            )
        )
    schema = options.get("schema") or get_active_schema()
    ours = uses_schemaswitch_backend(using)
    if not ours and (schema or options.get("all_schemas")):
        raise CommandError(
            _("Database %(alias)r does not use the schemaswitch_admin backend.") % {"alias": using}
        )
    return schema, ours


def app_lives_in(app_label: str) -> set[str]:
    """Where an app's migrations matter: ``{"public"}``, ``{"schema"}`` or both (an app with
    single shared models). Each schema records its own history of the private apps, and
    ``public``'s record of them says nothing about any schema."""
    from django.apps import apps

    from .sharing import is_shared_app, is_shared_model

    if is_shared_app(app_label):
        return {"public"}
    try:
        models = apps.get_app_config(app_label).get_models(include_auto_created=True)
    except LookupError:
        return {"public", "schema"}  # Django's own command reports the unknown label
    if any(is_shared_model(model) for model in models):
        return {"public", "schema"}
    return {"schema"}
