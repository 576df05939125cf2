"""``loaddata`` into one schema, or into every schema from a ``dumpdata --all-schemas`` directory.

Django's own command reads and saves the objects and resets the sequences; this subclass picks
the schema, keeps the whole load (sequence reset included) in one transaction, refuses objects
that belong elsewhere instead of skipping them silently, and reports every failure as a
``CommandError`` that names the schema, the fixture and the object.
"""

from __future__ import annotations

import os
from typing import Any

from django.core import serializers
from django.core.management.base import CommandError
from django.core.management.commands.loaddata import Command as DjangoLoaddataCommand
from django.db import connections, transaction
from django.utils.translation import gettext as _

from ... import conf
from ...commandutils import checked_name, existing_schema, refuse_missing, requested_schema
from ...fixtures import fixture_files, schema_of_file
from ...sharing import is_shared_model
from ...state import schema_context


class MisplacedObject(ValueError):
    """An object that belongs to the other side (shared vs private) of the load."""


class Command(DjangoLoaddataCommand):
    help = (
        "Installs the named fixture(s) in the database. Without --schema only shared data "
        "(stored in 'public') may be loaded; --schema NAME loads private data into that "
        "schema. An object of the other kind is an error, never silently skipped. "
        "--all-schemas DIR loads a directory written by 'dumpdata --all-schemas': each "
        "<schema>.<format>[.<compression>] file into the schema it is named after. "
        "Everything given in one run is loaded in one transaction, all schemas included: "
        "any error leaves every schema as it was. The template schema is refused unless "
        "--allow-template is given."
    )

    #: Which schema the current fixtures go to (``None``: public); ``_checking`` turns the
    #: shared/private check on, only when the schemaswitch backend is in use.
    _target: str | None = None
    _checking = False

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--schema",
            metavar="NAME",
            help="Load the fixtures' private data into this schema (default: the active "
            "schema, e.g. under run_in_schema; none on a plain command line).",
        )
        where.add_argument(
            "--all-schemas",
            action="store_true",
            help="Load a 'dumpdata --all-schemas' directory (the only fixture argument).",
        )
        parser.add_argument(
            "--allow-template",
            action="store_true",
            help="Allow loading into the template schema, which every new schema copies.",
        )

    def handle(self, *fixture_labels: str, **options: Any) -> None:
        using = options["database"]
        schema, ours = requested_schema(options)
        if not ours:
            return super().handle(*fixture_labels, **options)
        if options["all_schemas"]:
            plan = self._directory_plan(fixture_labels, options)
        else:
            if schema is not None:
                existing_schema(schema, using, allow_template=True)
                self._refuse_template([schema], options)
            plan = [(schema, list(fixture_labels))]
        self._load(plan, options)

    def _refuse_template(self, names: list[str], options: dict[str, Any]) -> None:
        if conf.template_schema() in names and not options["allow_template"]:
            raise CommandError(
                _(
                    "Refusing to load into the template schema %(name)r: every new schema "
                    "would copy these rows. Add --allow-template if that is what you want."
                )
                % {"name": conf.template_schema()}
            )

    def _directory_plan(
        self, labels: tuple[str, ...], options: dict[str, Any]
    ) -> list[tuple[str | None, list[str]]]:
        if len(labels) != 1:
            raise CommandError(_("--all-schemas takes exactly one directory."))
        directory = labels[0]
        if not os.path.isdir(directory):
            raise CommandError(_("%(path)r is not a directory.") % {"path": directory})
        self.serialization_formats = serializers.get_public_serializer_formats()
        plan: dict[str, list[str]] = {}
        for path in fixture_files(directory):
            file_name = os.path.basename(path)
            _name, ser_fmt, _cmp = self.parse_name(file_name)
            if ser_fmt is None:
                raise CommandError(
                    _("%(file)r has no format suffix (e.g. .json).") % {"file": path}
                )
            name = schema_of_file(file_name)
            try:
                checked_name(name, allow_template=True)
            except CommandError as exc:
                raise CommandError(
                    _("%(file)r does not name a schema: %(error)s") % {"file": path, "error": exc}
                ) from None
            plan.setdefault(name, []).append(os.path.abspath(path))
        if not plan:
            raise CommandError(_("No fixture files in %(path)r.") % {"path": directory})
        self._refuse_template(list(plan), options)
        refuse_missing(options["database"], plan)
        return list(plan.items())

    def _load(self, plan: list[tuple[str | None, list[str]]], options: dict[str, Any]) -> None:
        using = options["database"]
        current: str | None = None
        self._checking = True
        self._pending_resets: list[tuple[str | None, set]] = []
        try:
            with transaction.atomic(using=using):
                for schema, labels in plan:
                    current = schema
                    self._target = schema
                    if len(plan) > 1 and options["verbosity"] >= 1:
                        self.stdout.write(_("Schema %(name)s:") % {"name": schema})
                    with schema_context(schema):
                        super().handle(*labels, **options)
                self._reset_pending_sequences(using)
        except Exception as exc:
            if options["traceback"] and not isinstance(exc, CommandError):
                raise
            where = (
                _("schema %(name)r") % {"name": current}
                if current is not None
                else _("'public' (shared data)")
            )
            raise CommandError(
                _("Nothing was loaded (error while loading into %(where)s): %(error)s")
                % {"where": where, "error": exc}
            ) from exc
        finally:
            self._checking = False
            self._target = None

    def reset_sequences(self, connection: Any, models: Any) -> None:
        """Postpone the reset to the end of the run: ``setval`` is not undone by a rollback,
        so it must not run before every schema of the run has loaded."""
        if not self._checking:
            return super().reset_sequences(connection, models)
        self._pending_resets.append((self._target, set(models)))

    def _reset_pending_sequences(self, using: str) -> None:
        for schema, models in self._pending_resets:
            with schema_context(schema):
                super().reset_sequences(connections[using], models)

    def save_obj(self, obj: Any) -> bool:
        model = type(obj.object)
        excluded = (
            obj.object._meta.app_config in self.excluded_apps or model in self.excluded_models
        )
        if self._checking and not excluded:
            self._check_place(obj.object)
        return super().save_obj(obj)

    def _check_place(self, instance: Any) -> None:
        label = f"{instance._meta.label}(pk={instance.pk})"
        shared = is_shared_model(type(instance))
        if self._target is None and not shared:
            raise MisplacedObject(
                _(
                    "%(object)s is private data, kept per schema: load it with --schema NAME "
                    "(or leave the model out with --exclude)."
                )
                % {"object": label}
            )
        if self._target is not None and shared:
            raise MisplacedObject(
                _(
                    "%(object)s is shared data, stored once in 'public' for every schema: "
                    "load it without --schema (or leave the model out with --exclude)."
                )
                % {"object": label}
            )
