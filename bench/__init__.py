"""Benchmarks of schemaswitch_admin against plain Django and django-tenants.

Run them with ``python -m bench [part ...] [--size tiny|full]`` from the repository root.
Every measurement that needs Django runs in a child process with its own settings module
(``bench.sites``), so the three setups never share an app registry or a connection, and
every benchmark works in databases of its own (``bench_*``) that it drops at the end.
"""
