"""Settings of the test project: the documented minimal configuration plus a private app."""

import os
import sys
from pathlib import Path

from schemaswitch_admin.dev.db import database_config

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = {
    "default": database_config(
        # SCHEMASWITCH_DB_NAME lets a test's subprocess (manage.py commands) use the test DB.
        name=os.environ.get("SCHEMASWITCH_DB_NAME", "schemaswitch"),
        TEST={"NAME": os.environ.get("SCHEMASWITCH_TEST_DB", "test_schemaswitch")},
    )
}
DATABASE_ROUTERS = ["schemaswitch_admin.routers.SchemaRouter"]

# .ci/run runs the backend tests a second time stacked on another backend: GeoDJango's PostGIS
# backend where PostGIS is installed, else a project-style subclass (tests/stacked_backend).
if os.environ.get("SCHEMASWITCH_TEST_ORIGINAL_BACKEND"):
    SCHEMASWITCH_ORIGINAL_BACKEND = os.environ["SCHEMASWITCH_TEST_ORIGINAL_BACKEND"]

# The example project runs with example/ on the path (example/manage.py does the same).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "example"))

INSTALLED_APPS = [
    "schemaswitch_admin",
    "schemaswitch_admin.admin_apps.SchemaAdminConfig",  # django.contrib.admin, per-schema staff
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    # The schema-aware session engine's table; tests opt in with SESSION_ENGINE per test.
    "schemaswitch_admin.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tests.tenantapp",
    "tests.migrapp",
    # The example project's private app (tests/test_example*.py); example/ is its import root.
    "projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "schemaswitch_admin.middleware.SchemaSwitchMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

# Django 6+: Content-Security-Policy middleware, inert while SECURE_CSP is empty; the admin
# tests set a strict policy (tests/test_admin.py, tests/test_admin_browser.py).
try:
    import django.middleware.csp  # noqa: F401
except ImportError:  # Django 5.2
    pass
else:
    MIDDLEWARE.append("django.middleware.csp.ContentSecurityPolicyMiddleware")

# Superusers (who may use every schema) are offered as owners and assignees in the admin.
SCHEMASWITCH_MEMBER_CHOICES_SUPERUSERS = True
# Per-schema cache keys (schemaswitch_admin.W011).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_FUNCTION": "schemaswitch_admin.cache.make_key",
    }
}

ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "schemaswitch_admin.context_processors.schemas",
            ]
        },
    }
]
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
