from django.apps import AppConfig


class MigrAppConfig(AppConfig):
    """A private app whose migration history the migrate tests extend at run time."""

    name = "tests.migrapp"
    label = "migrapp"
    default_auto_field = "django.db.models.BigAutoField"
