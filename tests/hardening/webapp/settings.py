"""The test project's settings, served by a real server against the test database.

Chosen by the environment the test gives the server process:
``SCHEMASWITCH_DB_NAME`` (the database), ``HK_DB_MODE`` (``persistent``: ``CONN_MAX_AGE``
with health checks; ``pool``: Django's native psycopg pool), ``HK_POOL_MAX`` and
``HK_POOL_CHECK`` (check each pooled connection on checkout), ``HK_DB_HOST``/``HK_DB_PORT``
(connect through a pooler), ``HK_POOLER`` (``SCHEMASWITCH_POOLER``), ``HK_DB_USER`` (connect as
another PostgreSQL role, for the least-privilege test), ``HK_DB_ENGINE`` (a deliberately
broken backend, to prove the tests catch what they look for).
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

ROOT_URLCONF = "tests.hardening.webapp.urls"
DEBUG = False

_db = DATABASES["default"]
_mode = os.environ.get("HK_DB_MODE", "persistent")
if _mode == "persistent":
    _db["CONN_MAX_AGE"] = 600
    _db["CONN_HEALTH_CHECKS"] = True
elif _mode == "pool":
    _pool = {"min_size": 1, "max_size": int(os.environ.get("HK_POOL_MAX", "4")), "timeout": 20}
    # With the pool, CONN_HEALTH_CHECKS makes Django pass psycopg_pool's check_connection.
    _db["CONN_HEALTH_CHECKS"] = bool(os.environ.get("HK_POOL_CHECK"))
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {**_db.get("OPTIONS", {}), "pool": _pool}
elif _mode != "plain":
    raise ValueError(f"HK_DB_MODE must be persistent, pool or plain, not {_mode!r}")
if os.environ.get("HK_DB_ENGINE"):
    _db["ENGINE"] = os.environ["HK_DB_ENGINE"]
if os.environ.get("HK_DB_PORT"):
    # Through a pooler in front of the test database.
    _db["HOST"] = os.environ.get("HK_DB_HOST", "127.0.0.1")
    _db["PORT"] = os.environ["HK_DB_PORT"]
if os.environ.get("HK_POOLER"):
    SCHEMASWITCH_POOLER = os.environ["HK_POOLER"]
    _db["DISABLE_SERVER_SIDE_CURSORS"] = True
if os.environ.get("HK_DB_USER"):
    _db["USER"] = os.environ["HK_DB_USER"]
    _db["PASSWORD"] = ""

# Tracebacks of failed requests go to the server's log, which the tests show on failure.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
