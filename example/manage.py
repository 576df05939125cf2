#!/usr/bin/env python
"""The demo's command line; works from any directory, e.g. ``python example/manage.py rundemo``
from the repository root (that is what ``make demo`` runs)."""

import os
import signal
import sys
import warnings
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parent
REPO_ROOT = EXAMPLE_DIR.parent


def _exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def main() -> None:
    # Stopped by SIGTERM (kill, make passing it on, a process manager), a command leaves
    # through Python's exit hooks as it does on CONTROL-C; those stop the embedded PostgreSQL
    # when this process was its last holder. Python's default would die without them.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # The demo's packages (demo_site, projects) live next to this file.
    if str(EXAMPLE_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_DIR))
    # One embedded PostgreSQL data directory for the demo and the test suite: the repo's.
    os.environ.setdefault("SCHEMASWITCH_PGDATA", str(REPO_ROOT / ".pgdata"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
    # The embedded server's runtime directory falls back to /tmp without XDG_RUNTIME_DIR,
    # which is fine here; without this filter every command would print a warning.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
