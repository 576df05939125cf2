"""schemaswitch_admin as its README configures it: backend, router and middleware."""

from .base import *  # noqa: F403
from .base import CONTRIB_APPS, MIDDLEWARE, PRIVATE_APPS, database

INSTALLED_APPS = ["schemaswitch_admin", *CONTRIB_APPS, *PRIVATE_APPS]
DATABASES = {"default": database("schemaswitch_admin.backends.postgresql")}
DATABASE_ROUTERS = ["schemaswitch_admin.routers.SchemaRouter"]
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "schemaswitch_admin.middleware.SchemaSwitchMiddleware",
)
