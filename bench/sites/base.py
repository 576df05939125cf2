"""What the three setups share."""

import os
import sys
from pathlib import Path

from schemaswitch_admin.dev.db import database_config

REPO = Path(__file__).resolve().parents[2]
# The example project's app ("projects") is imported from example/, as example/manage.py does.
sys.path.insert(0, str(REPO / "example"))
if os.environ.get("BENCH_GEN_DIR"):
    sys.path.insert(0, os.environ["BENCH_GEN_DIR"])

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "bench.sites.urls"
WSGI_APPLICATION = "bench.sites.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"

#: The apps whose tables each tenant has (the example's "projects" unless told otherwise).
PRIVATE_APPS = [a for a in os.environ.get("BENCH_PRIVATE_APPS", "projects").split(",") if a]

# The admin without autodiscovery: the example app's admin module needs schemaswitch_admin,
# which only one setup installs. Its models stay (schemaswitch_admin's log table points at
# them), so every setup has the same tables in public.
CONTRIB_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(Path(__file__).resolve().parent / "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def database(engine: str) -> dict:
    """The benchmark's database with persistent connections, as a production site runs."""
    return database_config(name=os.environ["BENCH_DB"], ENGINE=engine, CONN_MAX_AGE=600)
