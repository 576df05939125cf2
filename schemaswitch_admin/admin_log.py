"""Which schema an admin log entry is about.

Django's ``LogEntry`` stores a content type and an object id, which is ambiguous once the same
model has a table per schema: ``Note 1`` exists in every schema. The schema is kept beside the
entry, in a table of our own, so Django's model and manager stay untouched and entries about
shared objects (users, schemas) need no row at all.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LogEntrySchema(models.Model):
    log_entry = models.OneToOneField(
        "admin.LogEntry",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="schemaswitch",
        verbose_name=_("log entry"),
    )
    # A name, not a foreign key: the entry must keep saying where the action happened after
    # the schema is dropped, and a name needs no join to build a link.
    schema_name = models.CharField(_("schema"), max_length=63, db_index=True)

    class Meta:
        verbose_name = _("log entry schema")
        verbose_name_plural = _("log entry schemas")

    def __str__(self) -> str:
        return f"{self.log_entry_id} @ {self.schema_name}"
