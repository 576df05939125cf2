"""Development helpers: the database of the tests, the demo and the benchmarks.

Nothing here is part of the runtime: no module outside ``schemaswitch_admin.dev`` imports it
(tests/test_dev_surface.py checks), so a production process never loads it. Settings may use
``schemaswitch_admin.dev.db`` to build ``DATABASES`` from ``DATABASE_URL`` or to start the
embedded PostgreSQL of the ``[embedded]`` extra on a machine without a server of its own.
"""
