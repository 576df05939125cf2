"""A third-party migrate command that would hide ours when listed first (for a check test)."""

from django.core.management.commands.migrate import Command  # noqa: F401
