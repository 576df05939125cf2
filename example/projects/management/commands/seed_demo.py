"""``manage.py seed_demo``: the demo's schemas, users and data (safe to run again)."""

from typing import Any

from django.core.management.base import BaseCommand

from ...demo_data import SCHEMAS, logins_text, seed


class Command(BaseCommand):
    help = (
        "Create the demo's three schemas with their data and three users whose memberships "
        "differ. Idempotent: only what is missing is created."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        seed()
        if options["verbosity"] >= 1:
            names = ", ".join(f"{name} ({display})" for name, display in SCHEMAS.items())
            self.stdout.write(self.style.SUCCESS(f"Demo schemas: {names}"))
            self.stdout.write(logins_text())
