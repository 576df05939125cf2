"""Minimal Django projects for the benchmarks, one settings module per setup.

``plain`` is stock Django on one schema; ``schemaswitch`` adds schemaswitch_admin (backend,
router, middleware); ``tenants`` uses django-tenants. They share everything else (apps,
middleware, templates, the view), so a difference between them is the cost of the tenancy
layer. The environment chooses the database (``BENCH_DB``), the private apps
(``BENCH_PRIVATE_APPS``) and where a generated app lives (``BENCH_GEN_DIR``).
"""
