"""The test settings with migrapp's history extended by one migration (AddField, AddIndex and
a RunPython recording the schema it ran in): "a new migration" for the Citus flow."""

from tests.settings import *  # noqa: F403

MIGRATION_MODULES = {"migrapp": "tests.migrapp.migrations_next"}
SCHEMASWITCH_CITUS = True
