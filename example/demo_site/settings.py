"""Settings of the demo site.

The first part is the minimal configuration of schemaswitch_admin, as the README documents
it; the last part is what the demo adds for development (the debug toolbar with the schema
panel). Nothing else is needed.
"""

import importlib.util

from schemaswitch_admin.dev.db import database_config

# -- Django basics for a local demo ------------------------------------------------------

SECRET_KEY = "demo-only-not-secret"  # a demo key; never reuse it on a reachable server
DEBUG = True  # the demo runs on 127.0.0.1 only
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "demo_site.urls"
# Superusers (who may use every schema) are offered as owners and assignees in the admin.
SCHEMASWITCH_MEMBER_CHOICES_SUPERUSERS = True
# Cache keys carry the active schema, so one tenant's cached values never reach another.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_FUNCTION": "schemaswitch_admin.cache.make_key",
    }
}
WSGI_APPLICATION = "demo_site.wsgi.application"
STATIC_URL = "/static/"  # absolute: pages bound to a schema (/@acme/...) still find it
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "login"  # the site's own login page (the admin has its own)
LOGIN_REDIRECT_URL = "projects:dashboard"
LOGOUT_REDIRECT_URL = "login"

# -- schemaswitch_admin: the minimal configuration ---------------------------------------

INSTALLED_APPS = [
    # First: its migrate command (public, then the template schema, then every schema)
    # replaces Django's, and its admin templates win over django.contrib.admin's.
    "schemaswitch_admin",
    # django.contrib.admin whose site also admits a member whose role in the active schema
    # opens the admin (an admin or viewer of acme needs no global is_staff).
    "schemaswitch_admin.admin_apps.SchemaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # A private app: not in SCHEMASWITCH_SHARED_APPS, so its tables exist once per schema.
    "projects",
]

# The schema-aware backend sets search_path to the active schema before queries need it.
# database_config() reads DATABASE_URL, or starts the embedded PostgreSQL in .pgdata.
DATABASES = {"default": database_config(name="schemaswitch_demo")}

# Permissions on private models (projects) come from the member's role in the active schema
# (owner, admin, editor, viewer: SCHEMASWITCH_ROLES); shared models keep Django's. It
# replaces ModelBackend, which would grant private permissions in every schema.
AUTHENTICATION_BACKENDS = ["schemaswitch_admin.auth.SchemaRoleBackend"]

# Keeps shared tables in public and private tables in the schemas when migrating.
DATABASE_ROUTERS = ["schemaswitch_admin.routers.SchemaRouter"]

# SCHEMASWITCH_SHARED_APPS stays at its default: auth, contenttypes, sessions, admin, sites
# and schemaswitch_admin live once, in public; every other app (here: projects) is private.

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After sessions and authentication: it keeps the chosen schema in the session, checks
    # the user's membership and activates the schema for the request.
    "schemaswitch_admin.middleware.SchemaSwitchMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
                # The active schema and the user's schemas, for the header's switcher.
                "schemaswitch_admin.context_processors.schemas",
            ]
        },
    }
]

# -- Demo extras: django-debug-toolbar with the schema panel -----------------------------
# Installed with the "dev" extra (make demo installs it); the demo runs without it too.

if DEBUG and importlib.util.find_spec("debug_toolbar") is not None:
    from debug_toolbar.settings import PANELS_DEFAULTS

    INSTALLED_APPS.append("debug_toolbar")
    # Early, so its panels see the whole request, including the schema middleware's work.
    MIDDLEWARE.insert(1, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1"]  # the toolbar shows only for requests from here
    # The default panels plus the schema panel: active schema, how it was chosen, the
    # user's memberships, the connection's search_path and the SET statements it cost.
    DEBUG_TOOLBAR_PANELS = [*PANELS_DEFAULTS, "schemaswitch_admin.panels.SchemaPanel"]
    # Start as the small "DjDT" handle at the page's edge instead of covering the page;
    # the toolbar remembers per browser when it is opened.
    DEBUG_TOOLBAR_CONFIG = {"SHOW_COLLAPSED": True}
