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
from django.db.models import Model
from django.utils.translation import gettext as _

from ... import conf
from ...cloning import clone_schema
from ...commandutils import (
    checked_name,
    existing_schema,
    pg_schemas_present,
    refuse_missing,
    requested_schema,
)
from ...exceptions import InvalidSchemaName
from ...fixtures import fixture_files, schema_of_file
from ...schema_model import get_schema_model
from ...sequences import reset_sequences
from ...sharing import is_shared_model
from ...state import schema_context
from ...validation import validate_schema_name


class MisplacedObject(ValueError):
    """Objects that belong to the other side (shared vs private) of the load, or a
    ``Schema`` row that may not exist."""


class FixtureProblem(ValueError):
    """A fixture file that could not be read or saved; the message names the file."""


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
            "--create-schemas",
            action="store_true",
            help="For every Schema row loaded whose PostgreSQL schema does not exist, create "
            "it (cloned from the template) in the same transaction. Without it such rows "
            "are refused, so rows and schemas never disagree.",
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
            super().handle(*fixture_labels, **options)
            return
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
                    "Refusing to load into the template schema %(name)r: it holds no tenant "
                    "data, and new schemas copy its structure, they do not copy its rows. "
                    "Add --allow-template if you really mean to write there."
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
        self._pending_resets: list[tuple[str | None, set[type[Model]]]] = []
        self._schema_rows: set[str] = set()
        try:
            with transaction.atomic(using=using):
                for schema, labels in plan:
                    current = schema
                    self._target = schema
                    if len(plan) > 1 and options["verbosity"] >= 1:
                        self.stdout.write(_("Schema %(name)s:") % {"name": schema})
                    with schema_context(schema):
                        super().handle(*labels, **options)
                current = None
                created = self._give_rows_their_schemas(using, options["create_schemas"])
                self._reset_pending_sequences(using)
            if created and options["verbosity"] >= 1:
                self.stdout.write(
                    _("Created %(count)d PostgreSQL schema(s) for the loaded rows: %(names)s.")
                    % {"count": len(created), "names": ", ".join(created)}
                )
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

    def _give_rows_their_schemas(self, using: str, create: bool) -> list[str]:
        """Make sure every ``Schema`` row this run loaded has its PostgreSQL schema: clone the
        template for the missing ones with ``--create-schemas``, refuse otherwise."""
        missing = sorted(self._schema_rows - pg_schemas_present(using, self._schema_rows))
        if not missing:
            return []
        if not create:
            raise CommandError(
                _(
                    "Schema row(s) without a PostgreSQL schema: %(names)s. Add "
                    "--create-schemas to create them (cloned from the template) in this "
                    "load, or restore a whole backup with 'manage.py restore'."
                )
                % {"names": ", ".join(missing)}
            )
        for name in missing:
            clone_schema(conf.template_schema(), name, using=using)
        return missing

    def load_label(self, fixture_label: str) -> None:
        """Django's, with messages that always name the file and the reason, and with the
        objects that belong elsewhere reported all at once, by model."""
        self._misplaced: dict[str, int] = {}
        try:
            super().load_label(fixture_label)
        except CommandError:
            raise
        except Exception as exc:
            raise FixtureProblem(_describe(exc, self._file_of(fixture_label))) from exc
        if self._misplaced:
            raise MisplacedObject(self._misplaced_message(fixture_label))

    def _file_of(self, fixture_label: str) -> str:
        try:
            found = self.find_fixtures(fixture_label)
        except CommandError:
            return fixture_label
        return found[0][0] if len(found) == 1 else fixture_label

    def _misplaced_message(self, fixture_label: str) -> str:
        models = ", ".join(sorted(self._misplaced))
        count = sum(self._misplaced.values())
        if self._target is None:
            reason = _(
                "%(count)d object(s) of private models, kept per schema, cannot go to 'public': "
                "%(models)s. Load them with --schema NAME (or leave the models out with "
                "--exclude)."
            )
        else:
            reason = _(
                "%(count)d object(s) of shared models, stored once in 'public' for every "
                "schema: %(models)s. Load them without --schema (or leave the models out "
                "with --exclude)."
            )
        return _("Problem installing fixture '%(file)s': %(reason)s") % {
            "file": self._file_of(fixture_label),
            "reason": reason % {"count": count, "models": models},
        }

    def reset_sequences(self, connection: Any, models: Any) -> None:
        """Postpone the reset to the end of the run: ``setval`` is not undone by a rollback,
        so it must not run before every schema of the run has loaded."""
        if not self._checking:
            self._reset(connection, models)
            return
        self._pending_resets.append((self._target, set(models)))

    def _reset_pending_sequences(self, using: str) -> None:
        for schema, models in self._pending_resets:
            with schema_context(schema):
                self._reset(connections[using], models)

    def _reset(self, connection: Any, models: Any) -> None:
        """Django's reset, as two statements that also work on Citus (``sequences``)."""
        if self.verbosity >= 2:
            self.stdout.write("Resetting sequences")
        reset_sequences(connection, models)

    def save_obj(self, obj: Any) -> bool:
        instance = obj.object
        model = type(instance)
        excluded = instance._meta.app_config in self.excluded_apps or model in self.excluded_models
        if self._checking and not excluded:
            if is_shared_model(model) != (self._target is None):
                # Skipped, then refused by model once the whole file has been read; the
                # transaction undoes whatever else the file loaded.
                label = instance._meta.label
                self._misplaced[label] = self._misplaced.get(label, 0) + 1
                return False
            if model is get_schema_model():
                self._check_schema_row(instance)
        return super().save_obj(obj)

    def _check_schema_row(self, instance: Any) -> None:
        """A loaded row skips ``Schema.save()``; its name is validated here instead, so no
        fixture can install a row that would break ``migrate`` and every command."""
        try:
            validate_schema_name(instance.name)
        except InvalidSchemaName as exc:
            raise MisplacedObject(
                _("Could not load %(model)s(pk=%(pk)s): %(error)s")
                % {"model": instance._meta.label, "pk": instance.pk, "error": exc.messages[0]}
            ) from None
        self._schema_rows.add(instance.name)


def _describe(exc: BaseException, file_name: str) -> str:
    """One line saying which file failed and why. Django's own wording is kept, but some
    parsers' errors print as an empty string (the reason sits in the chained exception) and
    others ignore the file name Django adds to them."""
    text = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
    if not text.startswith("Problem installing fixture"):
        text = _("Problem installing fixture '%(file)s': %(error)s") % {
            "file": file_name,
            "error": text or str(exc),
        }
    if text.rstrip().endswith(":"):
        cause = exc.__cause__ or exc.__context__
        if cause is not None:
            text = f"{text.rstrip()} {type(cause).__name__}: {cause}"
    return text
