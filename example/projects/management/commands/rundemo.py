"""``manage.py rundemo``: migrate, seed, then serve the demo on 127.0.0.1:8000.

``runserver``'s autoreloader runs this command again in a child process (with ``RUN_MAIN``
set) and restarts that child on code changes; the set-up runs in the first process only.
That first process stays alive as the reloader's parent, and it holds the embedded
PostgreSQL too (settings started it), so the database outlives every restart of the child
and stops when the demo is stopped (CONTROL-C or SIGTERM; the child, killed by its parent,
never says goodbye, which ``schemaswitch_admin.dev.embedded_holders`` copes with).

A busy port is refused before anything else happens, with the command to use another one.
"""

import errno
import os
import socket
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.translation import gettext as _

from ...demo_data import logins_text

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = "8000"
#: How far past a busy port to look for a free one to suggest.
PORTS_TO_TRY = 50


def split_addrport(addrport: str) -> tuple[str, int]:
    """``"8001"``, ``"127.0.0.1:8001"`` or ``"[::1]:8001"`` as (host, port)."""
    if addrport.isdigit():
        return DEFAULT_ADDRESS, int(addrport)
    host, sep, port = addrport.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise CommandError(_("Give a port (8001) or an address and port (127.0.0.1:8001)."))
    return host.strip("[]"), int(port)


def port_is_taken(host: str, port: int) -> bool:
    """Whether the development server would fail with "That port is already in use".

    Binds the way the server does (address reuse on, so a port left in TIME_WAIT by the
    previous run counts as free); any other error is left for the server to report.
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror:
        return False
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def free_port_after(host: str, port: int) -> int | None:
    for candidate in range(port + 1, min(port + 1 + PORTS_TO_TRY, 65536)):
        if not port_is_taken(host, candidate):
            return candidate
    return None


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
        host, port = split_addrport(options["addrport"])
        addrport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        in_reloaded_child = os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        if not in_reloaded_child and port_is_taken(host, port):
            # Before migrating and before announcing the address: nothing would answer there.
            raise CommandError(self.port_taken_message(host, port))
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

    def port_taken_message(self, host: str, port: int) -> str:
        suggestion = free_port_after(host, port)
        message = _("Port %(port)s on %(host)s is already in use (another demo or server?).") % {
            "port": port,
            "host": host,
        }
        if suggestion is None:
            return message + " " + _("Stop it, or choose another port: make demo PORT=…")
        return (
            message
            + " "
            + _(
                "Stop it, or run the demo on another port: make demo PORT=%(free)s "
                "(or: .venv/bin/python example/manage.py rundemo %(free)s)."
            )
            % {"free": suggestion}
        )
