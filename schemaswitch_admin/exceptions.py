"""Errors raised by schemaswitch_admin; each message tells the reader what to do next."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.utils import ProgrammingError


class InvalidSchemaName(ValidationError, ValueError):
    """A schema name that is not a safe, allowed PostgreSQL identifier.

    It is a ``ValidationError`` so model and form validation show it as a field error, and a
    ``ValueError`` so plain Python callers of the activation API can catch it naturally.
    """


class SchemaNotActivatedError(ProgrammingError):
    """A query touched a per-schema (private) table while no schema was active."""


class SchemaChangedError(RuntimeError):
    """Rows produced in one schema were read while another schema was active.

    Raised instead of letting ``.iterator()`` with ``prefetch_related`` (or any cursor read in
    chunks) mix two tenants' rows when iteration continues in another schema.
    """


class TemplateSchemaMissing(RuntimeError):
    """The template schema has not been created yet: ``manage.py migrate`` creates it."""
