"""The schema-aware session engine (opt-in): ``SESSION_ENGINE = "schemaswitch_admin.sessions.db"``
with ``"schemaswitch_admin.sessions"`` in ``INSTALLED_APPS``.

Plain Django reads the session row and the user row on every signed-in request; the
middleware adds one statement that re-checks the membership and sets the path. With this
engine the session table carries the chosen schema and the user as columns, so the one
session read also re-checks the membership and sets the path: a request in a chosen schema
costs exactly plain Django's statements. See docs/sessions.md.
"""
