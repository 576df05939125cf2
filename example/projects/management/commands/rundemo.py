"""``manage.py rundemo``: migrate, seed, then serve the demo on 127.0.0.1:8000.

``runserver``'s autoreloader runs this command again in a child process (with ``RUN_MAIN``
set) and restarts that child on code changes; the set-up runs in the first process only.
That first process stays alive as the reloader's parent, and it holds the embedded
PostgreSQL too (settings started it), so the database outlives every restart of the child
and stops when the demo is stopped.
"""

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

from ...demo_data import logins_text

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = "8000"


class Command(BaseCommand):
    help = "Migrate, seed the demo data, then run the development server (127.0.0.1:8000)."
    # runserver runs the system checks itself.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default=f"{DEFAULT_ADDRESS}:{DEFAULT_PORT}",
            help="Port or address:port to serve on (default 127.0.0.1:8000).",
        )
        parser.add_argument(
            "--noreload",
            action="store_false",
            dest="use_reloader",
            help="Do not restart the server when code changes.",
        )
        parser.add_argument(
            "--skip-setup",
            action="store_true",
            help="Serve only: do not migrate or seed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        addrport = options["addrport"]
        if addrport.isdigit():
            addrport = f"{DEFAULT_ADDRESS}:{addrport}"
        elif ":" not in addrport:
            raise CommandError("Give a port (8001) or an address and port (127.0.0.1:8001).")
        in_reloaded_child = os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        if not in_reloaded_child and not options["skip_setup"]:
            verbosity = options["verbosity"]
            call_command("migrate", interactive=False, verbosity=verbosity)
            call_command("seed_demo", verbosity=0)
        if not in_reloaded_child:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"The demo runs at http://{addrport}/"))
            self.stdout.write(logins_text())
            self.stdout.write("Stop it with CONTROL-C.\n")
        call_command("runserver", addrport, use_reloader=options["use_reloader"])
