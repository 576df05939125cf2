from django.contrib import admin

from schemaswitch_admin.admin import SchemaAwareModelAdmin

from .models import Note, Project, Tag


@admin.register(Project)
class ProjectAdmin(SchemaAwareModelAdmin):
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(SchemaAwareModelAdmin):
    search_fields = ["name"]


@admin.register(Note)
class NoteAdmin(SchemaAwareModelAdmin):
    list_display = ["title", "project", "priority"]
    list_filter = ["priority"]
    search_fields = ["title"]
