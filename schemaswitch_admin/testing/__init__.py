"""Test helpers for projects using schemaswitch_admin (and for our own tests).

``schemaswitch_admin.testing.factories`` holds factory-boy factories; the pytest plugin
(``schemaswitch_admin.testing.plugin``, loaded automatically when the package is installed)
holds fixtures.
"""
