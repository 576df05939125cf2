"""Which models are shared (one copy, in ``public``) and which are private (one per schema).

The decision comes from ``SCHEMASWITCH_SHARED_APPS``: an entry is an app label (the whole app
is shared) or ``"app_label.ModelName"`` (just that model). Everything else is private.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from . import conf


def _entries() -> tuple[frozenset[str], frozenset[str]]:
    app_labels, model_labels = set(), set()
    for entry in conf.shared_apps():
        if "." in entry:
            model_labels.add(entry.lower())
        else:
            app_labels.add(entry)
    return frozenset(app_labels), frozenset(model_labels)


def is_shared_app(app_label: str) -> bool:
    """True when the whole app lives in ``public``."""
    return app_label in _entries()[0]


def is_shared(app_label: str, model_name: str | None = None) -> bool:
    """True when ``app_label`` (or one of its models) lives in ``public``.

    ``model_name`` is matched case-insensitively, as Django's migration operations pass the
    lowercase name.
    """
    app_labels, model_labels = _entries()
    if app_label in app_labels:
        return True
    return model_name is not None and f"{app_label}.{model_name}".lower() in model_labels


def is_shared_model(model: type[models.Model]) -> bool:
    opts = model._meta
    return is_shared(opts.app_label, opts.model_name)


def private_models(include_auto_created: bool = True) -> list[type[models.Model]]:
    """Concrete, managed private models in registry order."""
    return [
        m
        for m in apps.get_models(include_auto_created=include_auto_created)
        if not is_shared_model(m) and m._meta.managed and not m._meta.proxy
    ]
