"""Admin history belongs to a schema's identity, not to its name: a schema dropped and created
again under the same name starts with an empty history."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from schemaswitch_admin import schema_context
from schemaswitch_admin.admin_log import LogEntrySchema
from schemaswitch_admin.models import Membership
from tests.admin_support import logged_in, make_schema_with_note, make_staff, switch
from tests.switching_support import drop_schema
from tests.test_admin_log import edit_note_1, recent_action_links


@pytest.fixture
def reused(db):
    """``reuse`` edited by its first tenant's staff, dropped, and created again for a new
    tenant whose staff member is ``newcomer``."""
    first = make_schema_with_note("reuse", "First tenant's note")
    old_editor = make_staff(first, username="old_editor")
    client = logged_in(old_editor)
    switch(client, "reuse")
    edit_note_1(client, "First tenant's secret plan")
    drop_schema(first)

    second = make_schema_with_note("reuse", "Second tenant's note")
    newcomer = make_staff(second, username="newcomer")
    Membership.objects.create(user=old_editor, schema=second)  # even for a returning user
    return second, newcomer, old_editor


def test_a_reused_name_starts_with_an_empty_object_history(reused):
    second, newcomer, _old = reused
    client = logged_in(newcomer)
    switch(client, "reuse")

    history = client.get("/admin/tenantapp/note/1/history/")

    assert history.status_code == 200
    assert list(history.context["action_list"]) == []
    assert b"secret plan" not in history.content
    assert b"old_editor" not in history.content


def test_the_dropped_schemas_entries_are_archived_not_linked(reused):
    second, _newcomer, old_editor = reused
    client = logged_in(old_editor)
    switch(client, "reuse")

    links = recent_action_links(client.get("/admin/"))

    assert "First tenant's secret plan" not in links
    entry = LogEntry.objects.get(object_repr="First tenant's secret plan")
    archived = LogEntrySchema.objects.get(log_entry=entry)
    assert archived.schema_id is None and archived.schema_name == "reuse"


def test_new_entries_point_at_the_new_schema(reused):
    second, newcomer, _old = reused
    client = logged_in(newcomer)
    switch(client, "reuse")
    edit_note_1(client, "Second tenant's edit")

    entry = LogEntry.objects.get(object_repr="Second tenant's edit")
    assert LogEntrySchema.objects.get(log_entry=entry).schema_id == second.pk
    with schema_context("reuse"):
        history = client.get("/admin/tenantapp/note/1/history/")
    assert [e.object_repr for e in history.context["action_list"]] == ["Second tenant's edit"]
