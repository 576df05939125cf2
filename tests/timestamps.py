"""Pinning the time columns of dumped rows, so dump → load → dump compares byte for byte.

Django's JSON serializer writes times to the millisecond and leaves out a zero fraction: a row
created at 02:22:29.000412 is dumped as "02:22:29.000Z", loaded back as 02:22:29 and dumped
again as "02:22:29Z". That is Django's precision, not the schema's content, so a round-trip
test pins its rows to a time with whole, non-zero milliseconds (which still exercises the
fraction) instead of depending on the clock.
"""

from datetime import UTC, datetime

from schemaswitch_admin import schema_context
from tests.tenantapp.models import Project

PINNED = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)


def pin_project_times(schema_name: str) -> None:
    with schema_context(schema_name):
        Project.objects.update(created_at=PINNED)
