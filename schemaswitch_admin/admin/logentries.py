"""Admin log entries that know their schema: recording it, filtering by it, linking with it.

An entry about a private object only means something together with its schema, and it shows
the object's ``repr`` and change message, so it is shown only to users who may use that
schema. Entries about private objects with no recorded schema (written before this app was
installed, or by an admin that does not record schemas) cannot be placed anywhere and are
never shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils.http import urlencode

from ..access import usable_schemas
from ..admin_log import LogEntrySchema
from ..schema_model import get_schema_model
from ..selection import QUERY_PARAMETER
from ..sharing import is_shared_model, private_models
from ..state import get_active_schema


def record_schema(
    entries: LogEntry | Iterable[LogEntry] | None, schema_row: Any = None
) -> None:
    """Attach the active schema to new entries about private objects (one INSERT, plus a
    lookup of the schema's row when the caller does not pass it)."""
    schema = get_active_schema()
    if schema is None or entries is None:
        return
    if isinstance(entries, LogEntry):
        entries = [entries]
    entries = [e for e in entries if e.pk is not None and _is_private_entry(e)]
    if not entries:
        return
    if schema_row is None or schema_row.name != schema:
        schema_row = get_schema_model().objects.filter(name=schema).first()
    LogEntrySchema.objects.bulk_create(
        [
            LogEntrySchema(
                log_entry_id=entry.pk,
                schema_name=schema,
                schema_id=None if schema_row is None else schema_row.pk,
            )
            for entry in entries
        ]
    )


def _is_private_entry(entry: LogEntry) -> bool:
    # The admin logs entries about objects: they always have a content type.
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()  # type: ignore[arg-type]
    return model is not None and not is_shared_model(model)


def _private_content_type_ids() -> list[int]:
    models = private_models(include_auto_created=False)
    # ContentType's manager caches these, so this costs no query after the first call.
    return [ct.pk for ct in ContentType.objects.get_for_models(*models).values()]


def visible_log_entries(user: Any, queryset: QuerySet[Any] | None = None) -> QuerySet[Any]:
    """``queryset`` (all entries by default) less those ``user`` must not see.

    One query: the user's schemas are a subquery, not a list fetched first.
    """
    if queryset is None:
        queryset = LogEntry.objects.all()
    allowed = usable_schemas(user).values("pk")
    private_types = _private_content_type_ids()
    shared_entry = Q(schemaswitch__isnull=True) & ~Q(content_type_id__in=private_types)
    return queryset.filter(shared_entry | Q(schemaswitch__schema_id__in=allowed))


def entries_in_active_schema(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The entries of ``queryset`` recorded in the active schema (none without one)."""
    schema = get_active_schema()
    if schema is None:
        return queryset.none()
    return queryset.filter(schemaswitch__schema__name=schema)


def schema_of(entry: LogEntry) -> str | None:
    """The schema recorded for ``entry`` (the side row is read from the entry's cache when the
    queryset used ``select_related("schemaswitch")``)."""
    try:
        recorded = entry.schemaswitch
    except LogEntrySchema.DoesNotExist:
        return None
    return None if recorded.schema_id is None else recorded.schema_name


def with_schema_switch(url: str, schema: str | None) -> str:
    """``url`` with the request layer's switch parameter, so following it opens the object in
    its own schema whatever schema the session is in (and is refused to non-members)."""
    if not schema:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode({QUERY_PARAMETER: schema})}"


def entry_admin_url(entry: LogEntry) -> str | None:
    """``entry.get_admin_url()`` carrying the entry's schema."""
    url = entry.get_admin_url()
    if not url:
        return None
    return with_schema_switch(url, schema_of(entry))
