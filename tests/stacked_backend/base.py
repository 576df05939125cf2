"""A project's own PostgreSQL backend, the kind schemaswitch_admin must stack on: it adds a
connection setting of its own (``application_name``) and an attribute."""

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    project_backend = True

    def get_connection_params(self):
        params = super().get_connection_params()
        params.setdefault("application_name", "stacked-backend-test")
        return params
