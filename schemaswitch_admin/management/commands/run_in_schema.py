"""``run_in_schema NAME|--all COMMAND [args...]``: any management command, inside schemas.

The command runs in this process through ``call_command`` with the schema active, so it sees
exactly what a request in that schema sees. With ``--all`` a failure in one schema is reported
and the run goes on; the summary names every schema that failed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import traceback
from typing import Any

from django.core.management import call_command, get_commands, load_command_class
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

        extra = self._database_option(command, command_args, using)

        out = getattr(self.stdout, "_out", self.stdout)
        err = getattr(self.stderr, "_out", self.stderr)
        failed: list[str] = []
        reached = 0
        for name in names:
            reached += 1
            if options["verbosity"] >= 1:
                heading = _("Schema %(name)s:") % {"name": name}
                self.stdout.write(self.style.MIGRATE_HEADING(heading))
            error = self._run(name, command, command_args, extra, out, err)
            if error is not None:
                failed.append(name)
                self.stderr.write(
                    _("%(name)s: FAILED: %(error)s") % {"name": name, "error": _message(error)}
                )
                if options["traceback"]:
                    self.stderr.write("".join(traceback.format_exception(error)))
                if options["fail_fast"]:
                    break
        not_run = len(names) - reached
        if options["verbosity"] >= 1 and len(names) > 1:
            summary = _("%(total)d schema(s): %(ok)d succeeded, %(failed)d failed") % {
                "total": len(names),
                "ok": reached - len(failed),
                "failed": len(failed),
            }
            if not_run:
                summary += _(", %(count)d not run (--fail-fast)") % {"count": not_run}
            self.stdout.write(summary + ".")
        if failed:
            raise CommandError(
                _("%(command)s failed in %(count)d schema(s): %(names)s.")
                % {"command": command, "count": len(failed), "names": ", ".join(failed)}
            )

    @staticmethod
    def _database_option(command: str, args: list[str], using: str) -> dict[str, Any]:
        """Run the command on the database whose schemas were looked up: a command with a
        ``--database`` option gets it; one without it would silently use 'default', so it is
        refused for any other database, and so is a second, different ``--database``."""
        app = get_commands()[command]
        instance = app if isinstance(app, BaseCommand) else load_command_class(app, command)
        parser = instance.create_parser("", command)
        takes_database = any(action.dest == "database" for action in parser._actions)
        given = _option_values(args, "--database")
        if any(value != using for value in given):
            raise CommandError(
                _(
                    "Give --database to run_in_schema, before the schema name; the command "
                    "then runs on that database."
                )
            )
        if takes_database:
            return {"database": using}
        if using != DEFAULT_DB_ALIAS:
            raise CommandError(
                _(
                    "%(command)s has no --database option: it would run on 'default', not on "
                    "%(alias)r."
                )
                % {"command": command, "alias": using}
            )
        return {}

    @staticmethod
    def _run(
        name: str, command: str, args: list[str], extra: dict[str, Any], out: Any, err: Any
    ) -> BaseException | None:
        """Run ``command`` in schema ``name``; the exception when it failed."""
        try:
            with schema_context(name):
                call_command(command, *args, stdout=out, stderr=err, **extra)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                return exc
        except Exception as exc:  # noqa: BLE001 - one schema's failure must not stop the rest
            return exc
        return None


def _message(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return _("exited with status %(code)s") % {"code": error.code}
    if isinstance(error, CommandError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _option_values(args: list[str], option: str) -> list[str | None]:
    """The values given to ``option`` in ``args`` (``--opt V`` or ``--opt=V``)."""
    values: list[str | None] = []
    for index, arg in enumerate(args):
        if arg == option:
            values.append(args[index + 1] if index + 1 < len(args) else None)
        elif arg.startswith(option + "="):
            values.append(arg.split("=", 1)[1])
    return values
