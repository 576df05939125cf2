"""The admin log in schemas: each action on a private object records its schema; "Recent
actions" and object history show a user only their schemas' entries, and links switch to the
entry's schema (refused, without leaking anything, to non-members)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType

from schemaswitch_admin import schema_context
from schemaswitch_admin.admin_log import LogEntrySchema
from schemaswitch_admin.middleware import SESSION_KEY
from schemaswitch_admin.models import Membership
from schemaswitch_admin.sharing import private_models
from tests.admin_support import (
    NOTE_1_URL,
    NOTES_URL,
    build_world,
    descendants,
    find,
    logged_in,
    make_superuser,
    switch,
    text_of,
)
from tests.tenantapp.models import Note, Project


@pytest.fixture
def world(db):
    return build_world()


def edit_note_1(client, title: str):
    """Save note 1 of the client's schema through the admin's change form."""
    response = client.post(
        NOTE_1_URL, {"title": title, "project": "1", "body": "", "priority": "0"}
    )
    assert response.status_code == 302, response.context and response.context["errors"]


def schema_recorded(entry: LogEntry) -> str | None:
    row = LogEntrySchema.objects.filter(log_entry=entry).first()
    return row and row.schema_name


def recent_action_links(response) -> dict[str, str]:
    module = find(response, "div", id="recent-actions-module")
    assert module, "the index shows the recent actions"
    return {a.text.strip(): a.attrs["href"] for a in descendants(module[0], "a")}


# -- recording ----------------------------------------------------------------------------


def test_a_change_to_a_private_object_records_the_schema_it_happened_in(world):
    client = logged_in(world.member)
    switch(client, "south")

    edit_note_1(client, "South note, edited")

    entry = LogEntry.objects.get(action_flag=CHANGE)
    assert entry.object_id == "1" and entry.object_repr == "South note, edited"
    assert schema_recorded(entry) == "south"


def test_an_addition_records_the_schema(world):
    client = logged_in(world.member)
    switch(client, "north")

    response = client.post("/admin/tenantapp/project/add/", {"name": "Second north project"})

    assert response.status_code == 302
    entry = LogEntry.objects.get(action_flag=ADDITION)
    assert schema_recorded(entry) == "north"
    with schema_context("south"):
        assert not Project.objects.filter(name="Second north project").exists()


def test_a_deletion_records_the_schema(world):
    client = logged_in(world.member)
    switch(client, "north")

    response = client.post("/admin/tenantapp/note/1/delete/", {"post": "yes"})

    assert response.status_code == 302
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert schema_recorded(entry) == "north"
    with schema_context("south"):
        assert Note.objects.filter(pk=1).exists()


def test_a_bulk_deletion_records_the_schema_of_every_entry(world):
    with schema_context("north"):
        Note.objects.create(project_id=1, title="Another north note")
    client = logged_in(world.member)
    switch(client, "north")

    response = client.post(
        NOTES_URL, {"action": "delete_selected", "_selected_action": ["1", "2"], "post": "yes"}
    )

    assert response.status_code == 302
    entries = LogEntry.objects.filter(action_flag=DELETION)
    assert entries.count() == 2
    assert {schema_recorded(e) for e in entries} == {"north"}


def test_actions_on_shared_objects_record_no_schema(world):
    client = logged_in(make_superuser())
    switch(client, "north")

    response = client.post(
        f"/admin/schemaswitch_admin/schema/{world.north.pk}/change/",
        {
            "display_name": "North, renamed",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    entry = LogEntry.objects.get(action_flag=CHANGE)
    assert entry.content_type == ContentType.objects.get_for_model(type(world.north))
    assert schema_recorded(entry) is None


# -- recent actions -----------------------------------------------------------------------


def test_recent_actions_link_carries_the_entrys_schema(world):
    client = logged_in(world.member)
    switch(client, "south")
    edit_note_1(client, "South note, edited")
    switch(client, "north")

    links = recent_action_links(client.get("/admin/"))

    assert links == {"South note, edited": NOTE_1_URL + "?__schema=south"}


def test_following_a_recent_action_opens_the_object_in_its_own_schema(world):
    client = logged_in(world.member)
    switch(client, "south")
    edit_note_1(client, "South note, edited")
    switch(client, "north")
    link = recent_action_links(client.get("/admin/"))["South note, edited"]

    response = client.get(link, follow=True)

    # Opened bound to south (this tab only); the session stays in north.
    assert response.redirect_chain == [("/@south" + NOTE_1_URL, 302)]
    assert response.context["original"].title == "South note, edited"
    assert "This object belongs to South." in text_of(response)
    assert client.session[SESSION_KEY] == "north"


def test_a_non_member_following_the_link_is_refused_and_sees_nothing_of_the_object(world):
    member = logged_in(world.member)
    switch(member, "north")
    edit_note_1(member, "Secret north plans")
    link = recent_action_links(member.get("/admin/"))["Secret north plans"]
    outsider = logged_in(world.outsider)
    switch(outsider, "south")

    response = outsider.get(link)
    followed = outsider.get(link, follow=True)

    assert response.status_code == 403
    assert followed.status_code == 403
    for body in (response.content.decode(), followed.content.decode()):
        assert "Secret north plans" not in body
        assert "North note" not in body
        assert "body of North note" not in body
    assert outsider.session[SESSION_KEY] == "south"


def test_recent_actions_hide_entries_of_schemas_the_user_no_longer_belongs_to(world):
    client = logged_in(world.member)
    switch(client, "north")
    edit_note_1(client, "North edit")
    switch(client, "south")
    edit_note_1(client, "South edit")
    assert set(recent_action_links(client.get("/admin/"))) == {"North edit", "South edit"}

    Membership.objects.filter(user=world.member, schema=world.north).delete()
    page = client.get("/admin/")

    assert set(recent_action_links(page)) == {"South edit"}
    assert "North edit" not in page.content.decode()


def test_recent_actions_hide_private_entries_with_no_recorded_schema(world):
    """An entry written without a schema (before this app, or by a plain ModelAdmin) could
    belong to any schema; showing its repr could show another tenant's data."""
    LogEntry.objects.log_actions(
        user_id=world.member.pk,
        queryset=[Note(pk=7, title="Unplaced note")],
        action_flag=CHANGE,
    )
    client = logged_in(world.member)
    switch(client, "north")

    assert "Unplaced note" not in client.get("/admin/").content.decode()


def test_recent_actions_keep_entries_about_shared_objects(world):
    client = logged_in(make_superuser())
    client.post(
        f"/admin/schemaswitch_admin/schema/{world.east.pk}/change/",
        {
            "display_name": "East, renamed",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    links = recent_action_links(client.get("/admin/"))

    assert links == {"East, renamed": f"/admin/schemaswitch_admin/schema/{world.east.pk}/change/"}


def test_deletions_are_listed_without_a_link(world):
    client = logged_in(world.member)
    switch(client, "north")
    client.post("/admin/tenantapp/note/1/delete/", {"post": "yes"})

    page = client.get("/admin/")

    assert recent_action_links(page) == {}
    assert "North note" in text_of(page)


# -- object history ------------------------------------------------------------------------


def test_object_history_shows_only_the_active_schemas_entries(world):
    client = logged_in(world.member)
    switch(client, "north")
    edit_note_1(client, "North, first edit")
    switch(client, "south")
    edit_note_1(client, "South, first edit")

    south_history = client.get("/admin/tenantapp/note/1/history/")
    switch(client, "north")
    north_history = client.get("/admin/tenantapp/note/1/history/")

    assert [e.object_repr for e in south_history.context["action_list"]] == ["South, first edit"]
    assert [e.object_repr for e in north_history.context["action_list"]] == ["North, first edit"]


def test_recent_actions_name_each_schema_by_its_display_name_like_the_selector(world):
    from schemaswitch_admin.models import Schema

    Schema.objects.filter(name="south").update(display_name="")  # no display name: its name
    client = logged_in(world.member)
    switch(client, "north")
    edit_note_1(client, "North edit")
    switch(client, "south")
    edit_note_1(client, "South edit")

    page = client.get("/admin/")
    labels = [e.text.strip() for e in find(page, "span", class_="schemaswitch-log-schema")]

    assert labels == ["south", "North"]
    assert world.north.display_name == "North" != world.north.name


def test_recent_actions_cost_one_query(world):
    from django.db import connection
    from django.template import Context, Template
    from django.test.utils import CaptureQueriesContext

    client = logged_in(world.member)
    switch(client, "north")
    edit_note_1(client, "North edit")
    template = Template(
        "{% load schemaswitch_admin %}{% schema_admin_log 10 as log %}"
        "{% for e in log %}{{ e.schema_admin_url }} {{ e.content_type.name }}{% endfor %}"
    )
    # Content types are cached per process; warm, as after a process's first request.
    ContentType.objects.get_for_models(*private_models(include_auto_created=False))
    with connection.cursor() as cursor:  # the connection's search_path, settled (no schema)
        cursor.execute("SELECT 1")

    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"user": world.member}))

    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "?__schema=north" in html
