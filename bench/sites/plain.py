"""Stock Django: one schema (public), the stock PostgreSQL backend, no tenancy app."""

from .base import *  # noqa: F403
from .base import CONTRIB_APPS, PRIVATE_APPS, database

INSTALLED_APPS = [*CONTRIB_APPS, *PRIVATE_APPS]
DATABASES = {"default": database("django.db.backends.postgresql")}
