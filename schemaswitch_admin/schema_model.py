"""Access to the (swappable) schema model, the way ``get_user_model`` gives the user model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from . import conf

if TYPE_CHECKING:
    from .models import AbstractSchema


def get_schema_model() -> type[AbstractSchema]:
    label = conf.schema_model_label()
    try:
        return apps.get_model(label, require_ready=False)
    except (ValueError, LookupError) as exc:
        raise ImproperlyConfigured(
            f"SCHEMASWITCH_SCHEMA_MODEL refers to {label!r}, which is not an installed model "
            "of the form 'app_label.ModelName'."
        ) from exc
