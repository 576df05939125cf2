"""``dumpdata`` that knows which schema the data comes from.

Django's own command does the work (every option keeps its meaning); this subclass chooses
the schema, refuses requests that would silently come out empty or mixed, and adds
``--all-schemas``.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.dumpdata import Command as DjangoDumpdataCommand
from django.db.models import Model
from django.utils.translation import gettext as _

from ...commandutils import all_schema_names, existing_schema, refuse_missing, requested_schema
from ...fixtures import (
    WRITABLE_COMPRESSIONS,
    fixture_file_name,
    labels_of,
    read_snapshot,
    requested_models,
    split_by_place,
)
from ...state import schema_context


class Command(DjangoDumpdataCommand):
    help = (
        "Output the contents of the database as a fixture of the given format. "
        "Without --schema only shared models (stored in 'public') are dumped: naming a "
        "private model is an error, and with no labels the private models are left out "
        "(a note on stderr says so). --schema NAME dumps that schema's private models; naming "
        "a shared model with it is an error, dump shared data in a separate run. "
        "--all-schemas writes one file per schema (every schema with a row; not the "
        "template) into a directory (-o DIR or --output-dir DIR), named "
        "<schema>.<format>[.<compression>], e.g. acme.json.gz with --compress gz; existing "
        "files of the same name are overwritten. Each dump reads one consistent snapshot; "
        "--all-schemas reads all schemas from the same snapshot."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--schema",
            metavar="NAME",
            help="Dump the private models of this schema (default: the active schema, e.g. "
            "under run_in_schema; none on a plain command line).",
        )
        where.add_argument(
            "--all-schemas",
            action="store_true",
            help="Dump every schema's private models, one file per schema, into a directory.",
        )
        parser.add_argument(
            "--output-dir",
            metavar="DIR",
            help="Directory for --all-schemas (created when missing); -o DIR works too.",
        )
        parser.add_argument(
            "--compress",
            choices=WRITABLE_COMPRESSIONS,
            help="Compress each --all-schemas file (adds the suffix to its name).",
        )

    def handle(self, *app_labels: str, **options: Any) -> None:
        using = options["database"]
        schema, ours = requested_schema(options)
        if not ours:
            super().handle(*app_labels, **options)
            return
        if options["all_schemas"]:
            return self._dump_all_schemas(app_labels, options)
        if options["output_dir"] or options["compress"]:
            raise CommandError(_("--output-dir and --compress go with --all-schemas."))

        shared, private = split_by_place(requested_models(app_labels, options["exclude"]))
        if schema is None:
            if app_labels and private:
                raise CommandError(
                    _(
                        "Private models live in each schema, not in 'public': %(models)s. "
                        "Add --schema NAME to dump them from one schema."
                    )
                    % {"models": labels_of(private)}
                )
            if private and options["verbosity"] >= 1:
                self.stderr.write(
                    _(
                        "Dumping shared models only; private models need --schema NAME "
                        "(left out: %(models)s)."
                    )
                    % {"models": labels_of(private)}
                )
            with schema_context(None), read_snapshot(using):
                super().handle(*app_labels, **options)
            return

        existing_schema(schema, using, allow_template=True)
        self._refuse_shared(app_labels, shared)
        with schema_context(schema), read_snapshot(using):
            super().handle(*app_labels, **options)

    def _refuse_shared(self, app_labels: tuple[str, ...], shared: list[type[Model]]) -> None:
        if app_labels and shared:
            raise CommandError(
                _(
                    "Shared models are stored once, in 'public', not in a schema: %(models)s. "
                    "Dump them without --schema (or leave them out with --exclude)."
                )
                % {"models": labels_of(shared)}
            )

    def _dump_all_schemas(self, app_labels: tuple[str, ...], options: dict[str, Any]) -> None:
        using = options["database"]
        if options["output_dir"] and options["output"]:
            raise CommandError(_("Give the directory once: -o DIR or --output-dir DIR."))
        directory = options["output_dir"] or options["output"]
        if not directory:
            raise CommandError(_("--all-schemas needs a directory: -o DIR or --output-dir DIR."))
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise CommandError(_("%(path)r is not a directory.") % {"path": directory})
        shared, _private = split_by_place(requested_models(app_labels, options["exclude"]))
        self._refuse_shared(app_labels, shared)
        names = all_schema_names(using)
        refuse_missing(using, names)
        os.makedirs(directory, exist_ok=True)
        with read_snapshot(using):
            for name in names:
                path = os.path.join(
                    directory, fixture_file_name(name, options["format"], options["compress"])
                )
                with schema_context(name):
                    try:
                        super().handle(*app_labels, **{**options, "output": path})
                    except CommandError as exc:
                        raise CommandError(
                            _("Schema %(name)r: %(error)s") % {"name": name, "error": exc}
                        ) from exc
                if options["verbosity"] >= 1:
                    self.stdout.write(
                        _("Dumped schema %(name)s to %(path)s") % {"name": name, "path": path},
                        ending="\n",
                    )
        if options["verbosity"] >= 1:
            self.stdout.write(
                _("%(count)d schema(s) dumped into %(dir)s")
                % {"count": len(names), "dir": directory},
                ending="\n",
            )
