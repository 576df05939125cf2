"""The admin of the private models: ``SchemaAwareModelAdmin`` makes each page work in the
active schema, say so in a banner, record the schema in the admin log, and offer only the
schema's members as owners and assignees (``SchemaAwareInlineMixin`` does the same for the
inline)."""

from django.contrib import admin

from schemaswitch_admin.admin import SchemaAwareInlineMixin, SchemaAwareModelAdmin

from .models import Client, Project, Task


@admin.register(Client)
class ClientAdmin(SchemaAwareModelAdmin):
    list_display = ["name", "email", "created_at"]
    search_fields = ["name", "email"]


class TaskInline(SchemaAwareInlineMixin, admin.TabularInline):
    model = Task
    extra = 0
    fields = ["title", "done", "assignees"]


@admin.register(Project)
class ProjectAdmin(SchemaAwareModelAdmin):
    list_display = ["name", "client", "owner", "status", "due_date"]
    list_filter = ["status", "client"]
    search_fields = ["name", "client__name"]
    autocomplete_fields = ["client"]
    inlines = [TaskInline]


@admin.register(Task)
class TaskAdmin(SchemaAwareModelAdmin):
    list_display = ["title", "project", "done"]
    list_filter = ["done", "project"]
    search_fields = ["title", "project__name"]
    filter_horizontal = ["assignees"]
