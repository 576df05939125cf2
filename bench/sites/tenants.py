"""django-tenants as its documentation configures it: tenant by host name, its backend,
its router, the tenant and domain models in a shared app. Tenant schemas hold only the
private apps (no per-tenant contenttypes), the lightest setup it allows.

``BENCH_TENANTS_CLONE=1`` creates tenants by cloning ``TENANT_BASE_SCHEMA`` (its clone
feature) instead of running the migrations.
"""

import os

from .base import *  # noqa: F403
from .base import CONTRIB_APPS, MIDDLEWARE, PRIVATE_APPS, database

SHARED_APPS = ["django_tenants", "bench.sites.tenancy", *CONTRIB_APPS]
TENANT_APPS = [*PRIVATE_APPS]
INSTALLED_APPS = [*SHARED_APPS, *[a for a in TENANT_APPS if a not in SHARED_APPS]]
TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
DATABASES = {"default": database("django_tenants.postgresql_backend")}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
MIDDLEWARE = ["django_tenants.middleware.main.TenantMainMiddleware", *MIDDLEWARE]
TENANT_MULTIPROCESSING_MAX_PROCESSES = 2
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = os.environ.get("BENCH_TENANTS_CLONE") == "1"
