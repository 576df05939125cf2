"""Which schema an admin log entry is about.

Django's ``LogEntry`` stores a content type and an object id, which is ambiguous once the same
model has a table per schema: ``Note 1`` exists in every schema. The schema is kept beside the
entry, in a table of our own, so Django's model and manager stay untouched and entries about
shared objects (users, schemas) need no row at all.

An entry belongs to the schema's *identity* (its row), not to its name: a name can be used
again after a drop, and the new tenant must not inherit the old one's history. Dropping a
schema archives its entries: the link to the row is cleared (``SET_NULL``), the name stays
for the record, and an archived entry is shown nowhere.
"""



from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .conf import schema_model_label


class LogEntrySchema(models.Model):
    log_entry = models.OneToOneField(
        "admin.LogEntry",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="schemaswitch",
        verbose_name=_("log entry"),
    )
    #: The schema the entry belongs to; cleared when the schema is dropped (archived).
    schema = models.ForeignKey(
        schema_model_label(),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("schema row"),
    )
    # The name too: it needs no join to build a link, and it keeps saying where the action
    # happened once the entry is archived.
    schema_name = models.CharField(_("schema"), max_length=63, db_index=True)

    class Meta:
        verbose_name = _("log entry schema")
        verbose_name_plural = _("log entry schemas")

    def __str__(self) -> str:
        return f"{self.log_entry_id} @ {self.schema_name}"
