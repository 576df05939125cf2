"""The admin of the private models: ``SchemaAwareModelAdmin`` makes each page work in the
active schema, say so in a banner, and record the schema in the admin log."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from schemaswitch_admin import get_active_schema
from schemaswitch_admin.admin import SchemaAwareModelAdmin

from .models import Client, Project, Task


def schema_people() -> QuerySet:
    """Who may own or be assigned work here: the active schema's members and superusers
    (users are shared; without this filter every user of every tenant would be listed)."""
    return (
        get_user_model()
        .objects.filter(
            Q(schema_memberships__schema__name=get_active_schema()) | Q(is_superuser=True),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


class PeopleInSchemaMixin:
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "owner":
            kwargs["queryset"] = schema_people()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "assignees":
            kwargs["queryset"] = schema_people()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Client)
class ClientAdmin(SchemaAwareModelAdmin):
    list_display = ["name", "email", "created_at"]
    search_fields = ["name", "email"]


class TaskInline(PeopleInSchemaMixin, admin.TabularInline):
    model = Task
    extra = 0
    fields = ["title", "done", "assignees"]


@admin.register(Project)
class ProjectAdmin(PeopleInSchemaMixin, SchemaAwareModelAdmin):
    list_display = ["name", "client", "owner", "status", "due_date"]
    list_filter = ["status", "client"]
    search_fields = ["name", "client__name"]
    autocomplete_fields = ["client"]
    inlines = [TaskInline]


@admin.register(Task)
class TaskAdmin(PeopleInSchemaMixin, SchemaAwareModelAdmin):
    list_display = ["title", "project", "done"]
    list_filter = ["done", "project"]
    search_fields = ["title", "project__name"]
    filter_horizontal = ["assignees"]
