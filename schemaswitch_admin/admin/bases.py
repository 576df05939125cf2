"""Django's admin classes as base classes, for type checkers and for the runtime alike.

django-stubs makes ``ModelAdmin`` and the inlines generic, so a subclass must name the type
argument; Django's own classes cannot be subscripted at run time (django-stubs-ext's
``monkeypatch()`` would make them so, and the package patches no Django class). These names
are the subscripted classes for the type checker and the plain ones at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
    #: What ``SchemaAwareAdminMixin`` is mixed into (before ``ModelAdmin``).
    ModelAdminMixinBase = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline
    ModelAdminMixinBase = object
