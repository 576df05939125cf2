"""``django.contrib.admin`` with a schema-aware default site.

Put ``"schemaswitch_admin.admin_apps.SchemaAdminConfig"`` in ``INSTALLED_APPS`` instead of
``"django.contrib.admin"`` (Django's documented way to replace the default site): the site
then lets a member whose role in the active schema has ``staff`` use the admin there without
the global ``is_staff``. Kept in its own module because an ``AppConfig`` is imported before
the models are ready, and the admin package registers models on import.
"""

from django.contrib.admin.apps import AdminConfig


class SchemaAdminConfig(AdminConfig):
    default_site = "schemaswitch_admin.admin_site.SchemaAdminSite"
