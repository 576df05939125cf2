"""What Citus schema-based sharding forbids in a project's models, as system checks.

They run with ``manage.py check --deploy`` when ``SCHEMASWITCH_CITUS`` is on, and
``citus_setup`` runs them always and refuses to change the database while one fails. Two
rules matter: nothing may point into a distributed schema (a shared row referencing a private
row, refused everywhere by ``E005``), and each private id must be able to come from any node.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import models

from ..sharing import is_shared_model


def citus_enabled() -> bool:
    return bool(getattr(settings, "SCHEMASWITCH_CITUS", False))


def model_problems() -> list[checks.CheckMessage]:
    """Every private model whose design Citus refuses or handles badly."""
    problems: list[checks.CheckMessage] = []
    for model in apps.get_models(include_auto_created=True):
        if is_shared_model(model) or not model._meta.managed or model._meta.proxy:
            continue
        pk = model._meta.pk
        if isinstance(pk, models.AutoField) and not isinstance(pk, models.BigAutoField):
            problems.append(
                checks.Warning(
                    f"Private model {model._meta.label} has a 32-bit (or smaller) "
                    f"auto-increment id ({type(pk).__name__}).",
                    hint="On Citus, ids of rows written through worker nodes come from "
                    "per-node ranges of a 64-bit sequence. Use BigAutoField "
                    "(DEFAULT_AUTO_FIELD or the app's default_auto_field).",
                    obj=model,
                    id="schemaswitch_admin.W040",
                )
            )
        for field in model._meta.local_fields:
            target = field.related_model if field.is_relation else None
            if target is None or isinstance(target, str) or not is_shared_model(target):
                continue
            if not target._meta.managed:
                problems.append(
                    checks.Error(
                        f"Private model {model._meta.label} references shared model "
                        f"{target._meta.label}, whose table Django does not manage.",
                        hint="citus_setup makes every shared table a private model references "
                        "a Citus reference table; an unmanaged table may be a view or "
                        "live elsewhere. Set db_constraint=False on the relation, or manage "
                        "the table.",
                        obj=model,
                        id="schemaswitch_admin.E041",
                    )
                )
    return problems


@checks.register(checks.Tags.models, deploy=True)
def check_citus_models(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not citus_enabled():
        return []
    return model_problems()
