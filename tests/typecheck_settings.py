"""Settings the django-stubs mypy plugin loads (``make typecheck``).

The plugin runs ``django.setup()`` to learn the models; ``tests.settings`` would start the
embedded PostgreSQL (or need ``DATABASE_URL``) just for that, so this module names the same
apps with a database entry that is never connected to.
"""

SECRET_KEY = "typecheck-only-not-secret"
USE_TZ = True
INSTALLED_APPS = [
    "schemaswitch_admin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
DATABASES = {"default": {"ENGINE": "schemaswitch_admin.backends.postgresql", "NAME": "unused"}}
DATABASE_ROUTERS = ["schemaswitch_admin.routers.SchemaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
