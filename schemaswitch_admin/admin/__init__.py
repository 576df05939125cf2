"""Admin integration: schema and membership admins, and support for private models' admins.

Register the admin of each private model with ``SchemaAwareModelAdmin`` (or mix
``SchemaAwareAdminMixin`` into your own base class). The schema and membership admins are
registered on the default site; with a swapped schema model (``SCHEMASWITCH_SCHEMA_MODEL``),
register your model yourself, for example with a subclass of ``SchemaAdmin``.
"""

from django.contrib import admin

from .. import conf
from ..models import Membership
from ..schema_model import get_schema_model
from . import checks  # noqa: F401  (registers the admin system check)
from .choices import MemberChoicesAutocompleteMixin, SchemaAwareInlineMixin
from .mixins import SchemaAwareAdminMixin, SchemaAwareModelAdmin
from .schemas import MembershipAdmin, MembershipInline, SchemaAdmin

__all__ = [
    "MemberChoicesAutocompleteMixin",
    "MembershipAdmin",
    "MembershipInline",
    "SchemaAdmin",
    "SchemaAwareAdminMixin",
    "SchemaAwareInlineMixin",
    "SchemaAwareModelAdmin",
]

if conf.schema_model_label() == "schemaswitch_admin.Schema":
    admin.site.register(get_schema_model(), SchemaAdmin)
admin.site.register(Membership, MembershipAdmin)
