"""``run_in_schema NAME|--all COMMAND [args...]``: any management command, inside schemas.

The command runs in this process through ``call_command`` with the schema active, so it sees
exactly what a request in that schema sees. With ``--all`` a failure in one schema is reported
and the run goes on; the summary names every schema that failed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import traceback
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from ...commandutils import all_schema_names, existing_schema, refuse_missing
from ...state import schema_context


class Command(BaseCommand):
    help = (
        "Run a management command inside one schema (run_in_schema NAME COMMAND [args]) or "
        "inside every schema (run_in_schema --all COMMAND [args]), with a heading per schema "
        "and a summary; exits with status 1 when the command failed in any schema. Options "
        "after COMMAND belong to COMMAND."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            dest="all_schemas",
            help="Run in every schema that has a row (not the template).",
        )
        parser.add_argument(
            "--fail-fast", action="store_true", help="Stop at the first schema that fails."
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            choices=tuple(connections),
            help="Database whose schemas are used.",
        )
        parser.add_argument(
            "words",
            nargs=argparse.REMAINDER,
            metavar="[NAME] COMMAND [ARGS]",
            help="The schema (unless --all), the command and its arguments.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        words = list(options["words"])
        if options["all_schemas"]:
            names = all_schema_names(using)
            refuse_missing(using, names)
        else:
            if not words:
                raise CommandError(_("Name a schema, or use --all."))
            names = [existing_schema(words.pop(0), using, allow_template=True)]
        if not words:
            raise CommandError(_("Name the command to run."))
        command, command_args = words[0], words[1:]
        if command not in get_commands():
            raise CommandError(_("Unknown command: %(name)r.") % {"name": command})

        out = getattr(self.stdout, "_out", self.stdout)
        err = getattr(self.stderr, "_out", self.stderr)
        failed: list[str] = []
        for name in names:
            if options["verbosity"] >= 1:
                heading = _("Schema %(name)s:") % {"name": name}
                self.stdout.write(self.style.MIGRATE_HEADING(heading))
            error = self._run(name, command, command_args, out, err)
            if error is not None:
                failed.append(name)
                self.stderr.write(_("%(name)s: FAILED: %(error)s") % {"name": name, "error": error})
                if options["traceback"]:
                    self.stderr.write(traceback.format_exc())
                if options["fail_fast"]:
                    break
        if options["verbosity"] >= 1 and len(names) > 1:
            self.stdout.write(
                _("%(total)d schema(s): %(ok)d succeeded, %(failed)d failed.")
                % {
                    "total": len(names),
                    "ok": len(names) - len(failed) - self._skipped(names, failed, options),
                    "failed": len(failed),
                }
            )
        if failed:
            raise CommandError(
                _("%(command)s failed in %(count)d schema(s): %(names)s.")
                % {"command": command, "count": len(failed), "names": ", ".join(failed)}
            )

    @staticmethod
    def _skipped(names: list[str], failed: list[str], options: dict[str, Any]) -> int:
        """Schemas never reached because --fail-fast stopped the run."""
        if not (options["fail_fast"] and failed):
            return 0
        return len(names) - names.index(failed[-1]) - 1

    @staticmethod
    def _run(name: str, command: str, args: list[str], out: Any, err: Any) -> str | None:
        """Run ``command`` in schema ``name``; the error message when it failed."""
        try:
            with schema_context(name):
                call_command(command, *args, stdout=out, stderr=err)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                return _("exited with status %(code)s") % {"code": exc.code}
        except Exception as exc:  # noqa: BLE001 - one schema's failure must not stop the rest
            return f"{type(exc).__name__}: {exc}" if not isinstance(exc, CommandError) else str(exc)
        return None
