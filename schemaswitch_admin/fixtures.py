"""What a per-schema fixture may hold, and how a directory of them is laid out.

A fixture holds either shared data (loaded and dumped with no schema active, into and from
``public``) or one schema's private data, never both: a schema's fixture must not rewrite rows
every other schema sees, and shared rows have no schema to come from. ``dumpdata`` and
``loaddata`` use the helpers here to refuse mixed requests with a message naming the models.

``--all-schemas`` directories hold one file per schema named
``<schema>.<format>[.<compression>]`` (``acme.json``, ``acme.jsonl.gz``); the schema is the
part of the name before the first dot, which a schema name never contains.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.apps import AppConfig, apps
from django.core.management.utils import parse_apps_and_model_labels
from django.db import connections, models, transaction

from .backends.postgresql.wrapper import path_keeper
from .sharing import is_shared_model

#: Compressions ``dumpdata`` can write (Django's ``-o`` suffixes); ``zip`` is read-only there.
WRITABLE_COMPRESSIONS = ("gz", "bz2", "xz", "lzma")


def requested_models(
    labels: Iterable[str], excludes: Iterable[str] = ()
) -> list[type[models.Model]]:
    """The concrete models ``dumpdata`` would consider for ``labels`` (every app when empty)
    minus ``excludes``. Unknown labels are skipped: Django's own command reports them."""
    try:
        excluded_models, excluded_apps = parse_apps_and_model_labels(list(excludes))
    except Exception:  # noqa: BLE001 - Django's command reports bad --exclude values itself
        excluded_models, excluded_apps = set(), set()
    found: dict[type[models.Model], None] = {}
    labels = list(labels)
    configs: list[tuple[AppConfig, list[type[models.Model]] | None]] = []
    if not labels:
        configs = [(c, None) for c in apps.get_app_configs() if c.models_module is not None]
    for label in labels:
        app_label, _dot, model_name = label.partition(".")
        try:
            config = apps.get_app_config(app_label)
            chosen = [config.get_model(model_name)] if model_name else None
        except LookupError:
            continue
        configs.append((config, chosen))
    for config, chosen in configs:
        if config in excluded_apps:
            continue
        for model in chosen if chosen is not None else config.get_models():
            if model not in excluded_models and not model._meta.proxy:
                found[model] = None
    return list(found)


def split_by_place(
    model_list: Iterable[type[models.Model]],
) -> tuple[list[type[models.Model]], list[type[models.Model]]]:
    """``(shared, private)`` models, each in the given order."""
    shared: list[type[models.Model]] = []
    private: list[type[models.Model]] = []
    for model in model_list:
        (shared if is_shared_model(model) else private).append(model)
    return shared, private


def labels_of(model_list: Iterable[type[models.Model]]) -> str:
    return ", ".join(sorted(m._meta.label for m in model_list))


def fixture_file_name(schema: str, fmt: str, compression: str | None = None) -> str:
    """``<schema>.<format>[.<compression>]``: the file ``--all-schemas`` writes per schema."""
    return ".".join(part for part in (schema, fmt, compression) if part)


def schema_of_file(file_name: str) -> str:
    """The schema a ``--all-schemas`` file belongs to: its name up to the first dot."""
    return os.path.basename(file_name).split(".", 1)[0]


def fixture_files(directory: str) -> Iterator[str]:
    """The candidate fixture files in ``directory``, by name; hidden files are ignored."""
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if entry.is_file() and not entry.name.startswith("."):
            yield entry.path


@contextmanager
def read_snapshot(using: str) -> Iterator[None]:
    """Read every table from one snapshot (``REPEATABLE READ, READ ONLY``).

    A dump made of many queries, in one schema or across all of them, then never mixes rows
    committed between two of its queries. Inside an existing transaction (a test, a caller's
    ``atomic``) the caller's transaction is used as it is.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        # The transaction's first statement: the backend must not send its path before it.
        with path_keeper(connection).independent(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
