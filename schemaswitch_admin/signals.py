"""Signals about schemas' life cycle.

``schema_created``: sent after a schema was cloned and its row saved (args: ``schema`` the
model instance). Sent on commit when inside a transaction, so receivers never see a schema
that a rollback will take away.
``schema_activated``: sent when code activates a schema (args: ``schema`` the name). Cheap
when nobody listens; keep receivers fast, it runs on every request.
``schema_dropped``: sent after a PostgreSQL schema was dropped (args: ``schema`` the name).
"""

from django.dispatch import Signal

schema_created = Signal()
schema_activated = Signal()
schema_dropped = Signal()
