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


class SchemaDoesNotExist(LookupError):
    """The named schema has no row or no PostgreSQL schema behind it."""


class TemplateSchemaMissing(RuntimeError):
    """The template schema has not been created yet: ``manage.py migrate`` creates it."""
