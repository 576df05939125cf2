"""The shared models: schemas and who may use them.

Both live in ``public``. A ``Schema`` row and its PostgreSQL schema are created together in one
transaction, so there is never a row without a schema or a schema without a row.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from . import conf
from .roles import default_role, role_choices
from .validation import validate_schema_name


class SchemaQuerySet(models.QuerySet["AbstractSchema"]):
    def active(self) -> SchemaQuerySet:
        return self.filter(is_active=True)

    def delete(self) -> tuple[int, dict[str, int]]:
        """Deactivate instead of deleting: dropping a schema's data is a separate, explicit
        step (``Schema.drop()`` or ``manage.py drop_schema``)."""
        count = self.update(is_active=False)
        return count, {self.model._meta.label: count}

    delete.queryset_only = True  # type: ignore[attr-defined]


_SchemaManagerBase = models.Manager.from_queryset(SchemaQuerySet)


class SchemaManager(_SchemaManagerBase["AbstractSchema"]):
    def create_schema(
        self,
        name: str,
        *,
        display_name: str = "",
        source: str | None = None,
        with_data: bool = False,
        **fields: Any,
    ) -> AbstractSchema:
        """Create a row and its PostgreSQL schema, cloned from ``source`` (the template by
        default). ``with_data`` copies the source's rows too (never allowed from the
        template, which holds no tenant data)."""
        schema: AbstractSchema = self.model(name=name, display_name=display_name, **fields)
        schema._clone_source = source
        schema._clone_with_data = with_data
        schema.save(force_insert=True, using=self.db)
        return schema


class AbstractSchema(models.Model):
    """Base for the schema model; subclass it and point ``SCHEMASWITCH_SCHEMA_MODEL`` at the
    subclass to add fields (plan, billing id, domain...)."""

    name = models.CharField(
        _("name"),
        max_length=63,
        unique=True,
        validators=[validate_schema_name],  # type: ignore[list-item]  # its result is unused
        help_text=_("PostgreSQL schema name: lowercase letters, digits and underscores."),
    )
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive schemas keep their data but cannot be chosen."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = SchemaManager()

    _clone_source: str | None = None
    _clone_with_data: bool = False

    class Meta:
        abstract = True
        ordering = ["name"]
        verbose_name = _("schema")
        verbose_name_plural = _("schemas")

    def __str__(self) -> str:
        return self.display_name or self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        from .cloning import clone_schema
        from .signals import schema_created

        if not self._state.adding:
            super().save(*args, **kwargs)
            return
        validate_schema_name(self.name)
        using = kwargs.get("using") or self._state.db or "default"
        source = self._clone_source or conf.template_schema()
        with transaction.atomic(using=using):
            super().save(*args, **kwargs)
            clone_schema(source, self.name, with_data=self._clone_with_data, using=using)
        transaction.on_commit(
            lambda: schema_created.send(sender=type(self), schema=self), using=using
        )

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Deactivate; see ``drop()`` to remove the data."""
        self.is_active = False
        self.save(update_fields=["is_active"])
        return 1, {self._meta.label: 1}

    def drop(self, using: str | None = None) -> None:
        """Drop the PostgreSQL schema with all its data, then the row and its memberships."""
        from .cloning import drop_pg_schema
        from .signals import schema_dropped

        using = using or self._state.db or "default"
        name = self.name
        with transaction.atomic(using=using):
            drop_pg_schema(name, using=using)
            models.Model.delete(self, using=using)
        transaction.on_commit(
            lambda: schema_dropped.send(sender=type(self), schema=name), using=using
        )


class Schema(AbstractSchema):
    class Meta(AbstractSchema.Meta):
        swappable = "SCHEMASWITCH_SCHEMA_MODEL"


class Membership(models.Model):
    """A user's right to use a schema, with their role in it (``roles``: what the role lets
    them do there, with ``SchemaRoleBackend``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="schema_memberships",
        verbose_name=_("user"),
    )
    schema = models.ForeignKey(
        conf.schema_model_label(),
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("schema"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=role_choices, default=default_role
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "schema"], name="schemaswitch_unique_member")
        ]
        indexes = [models.Index(fields=["schema", "user"], name="schemaswitch_member_schema")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.schema}"


# Defined in its own module (it belongs to the admin integration) but registered with this app.
from .admin_log import LogEntrySchema  # noqa: E402, F401
