"""The test settings with migrapp's history extended by a migration that can stall."""

from tests.settings import *  # noqa: F403

MIGRATION_MODULES = {"migrapp": "tests.hardening.slow_migrations"}
