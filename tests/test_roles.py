"""Issue 15: a membership's role decides what its user may do in that schema, and there only.

alice is ``admin`` of north and ``viewer`` of south; she has no global ``is_staff`` and no
global permission. Every test runs with ``SchemaRoleBackend`` instead of ``ModelBackend``.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schemaswitch_admin import roles, schema_context
from schemaswitch_admin.models import Membership, Schema
from schemaswitch_admin.testing.factories import SuperUserFactory, UserFactory
from tests.admin_support import find, logged_in, make_schema_with_note, text_of
from tests.tenantapp.models import Note

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("role_backend"),
]

BACKEND = "schemaswitch_admin.auth.SchemaRoleBackend"


@pytest.fixture
def role_backend(settings):
    settings.AUTHENTICATION_BACKENDS = [BACKEND]


@pytest.fixture
def world():
    north = make_schema_with_note("north", "North note")
    south = make_schema_with_note("south", "South note")
    alice = UserFactory(username="alice")
    Membership.objects.create(user=alice, schema=north, role="admin")
    Membership.objects.create(user=alice, schema=south, role="viewer")
    return north, south, alice


def fresh(user):
    """The user as the next request loads it (nothing cached on the object)."""
    return type(user).objects.get(pk=user.pk)


def note_url(schema, suffix="1/change/"):
    return f"/@{schema.name}/admin/tenantapp/note/{suffix}"


# -- has_perm --------------------------------------------------------------------------


def test_has_perm_answers_for_the_active_schema(world):
    north, south, alice = world
    alice = fresh(alice)
    with schema_context("north"):
        assert alice.has_perm("tenantapp.change_note")
        assert alice.has_perm("tenantapp.delete_note")
        assert alice.has_module_perms("tenantapp")
    with schema_context("south"):
        assert alice.has_perm("tenantapp.view_note")
        assert not alice.has_perm("tenantapp.change_note")
        assert not alice.has_perm("tenantapp.add_note")
        assert alice.has_module_perms("tenantapp")
    assert not alice.has_perm("tenantapp.view_note")  # no schema active
    assert not alice.has_module_perms("tenantapp")


def test_a_non_member_has_no_private_permission(world):
    UserFactory(username="mallory")
    mallory = fresh(type(world[2]).objects.get(username="mallory"))
    with schema_context("north"):
        assert not mallory.has_perm("tenantapp.view_note")
        assert not mallory.has_module_perms("tenantapp")


def test_a_global_permission_on_a_private_model_grants_nothing_in_a_schema(world):
    _north, _south, alice = world
    alice.user_permissions.set(Permission.objects.filter(content_type__app_label="tenantapp"))
    alice = fresh(alice)
    with schema_context("south"):
        assert not alice.has_perm("tenantapp.change_note")
        assert "tenantapp.change_note" not in alice.get_all_permissions()
        assert "tenantapp.view_note" in alice.get_all_permissions()


def test_shared_model_permissions_stay_global_and_roles_do_not_grant_them(world):
    north, _south, alice = world
    Membership.objects.filter(user=alice, schema=north).update(role="owner")
    bob = UserFactory(username="bob")
    bob.user_permissions.add(Permission.objects.get(codename="change_user"))
    alice, bob = fresh(alice), fresh(bob)
    for schema in (None, "north"):
        with schema_context(schema):
            assert bob.has_perm("auth.change_user")
            assert not alice.has_perm("auth.change_user")
            assert not alice.has_perm("schemaswitch_admin.change_schema")


def test_superusers_keep_every_permission(world):
    root = fresh(SuperUserFactory())
    for schema in (None, "north", "south"):
        with schema_context(schema):
            assert root.has_perm("tenantapp.delete_note")
            assert root.has_perm("auth.change_user")


def test_an_inactive_user_has_no_permission(world):
    _north, _south, alice = world
    alice.is_active = False
    alice.save()
    with schema_context("north"):
        assert not fresh(alice).has_perm("tenantapp.view_note")


def test_a_role_the_settings_do_not_define_grants_nothing(world, settings):
    north, _south, alice = world
    Membership.objects.filter(user=alice, schema=north).update(role="retired")
    with schema_context("north"):
        assert not fresh(alice).has_perm("tenantapp.view_note")


def test_roles_come_from_the_setting(world, settings):
    settings.SCHEMASWITCH_ROLES = {
        "admin": {"actions": ["view"], "permissions": ["tenantapp.delete_note"]},
        "viewer": {},
    }
    _north, _south, alice = world
    alice = fresh(alice)
    with schema_context("north"):
        assert alice.has_perm("tenantapp.view_project")
        assert alice.has_perm("tenantapp.delete_note")
        assert not alice.has_perm("tenantapp.delete_project")
    with schema_context("south"):
        assert not alice.has_perm("tenantapp.view_note")


def test_the_role_of_another_schema_is_read_once_per_user_object(world):
    _north, _south, alice = world
    alice = fresh(alice)
    with schema_context("south"), CaptureQueriesContext(connection) as first:
        alice.has_perm("tenantapp.view_note")
    with schema_context("south"), CaptureQueriesContext(connection) as again:
        alice.has_perm("tenantapp.change_note")
        alice.has_perm("tenantapp.view_project")
    assert len(first) == 1
    assert len(again) == 0


# -- the admin -------------------------------------------------------------------------


def test_a_member_without_is_staff_uses_the_admin_where_the_role_allows(world):
    north, south, alice = world
    client = logged_in(alice)
    assert client.get(note_url(north)).status_code == 200
    assert client.get(note_url(south)).status_code == 200
    Membership.objects.filter(user=alice, schema=south).delete()
    UserFactory(username="carol")
    carol = type(alice).objects.get(username="carol")
    Membership.objects.create(user=carol, schema=south, role="viewer")
    outsider = logged_in(carol)
    response = outsider.get(note_url(north))
    assert response.status_code == 403  # not a member of north: refused before the admin


def test_a_role_without_staff_does_not_open_the_admin(world, settings):
    settings.SCHEMASWITCH_ROLES = {
        "admin": {"actions": ["view", "change"], "staff": True},
        "viewer": {"actions": ["view"], "staff": False},
    }
    north, south, alice = world
    client = logged_in(alice)
    assert client.get(note_url(north)).status_code == 200
    response = client.get(note_url(south))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_admin_buttons_follow_the_role_of_the_active_schema(world):
    north, south, alice = world
    client = logged_in(alice)

    editable = client.get(note_url(north))
    assert find(editable, "input", name="_save")
    assert find(editable, "input", name="title")
    assert find(editable, "a", class_="deletelink")

    readonly = client.get(note_url(south))
    assert not find(readonly, "input", name="_save")
    assert not find(readonly, "input", name="title")
    assert not find(readonly, "a", class_="deletelink")
    assert "South note" in text_of(readonly)

    changelist = client.get(f"/@{south.name}/admin/tenantapp/note/")
    assert not find(changelist, "option", value="delete_selected")
    assert not find(changelist, "a", class_="addlink")
    assert find(client.get(f"/@{north.name}/admin/tenantapp/note/"), "a", class_="addlink")


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        ("1/change/", {"project": "1", "title": "overwritten", "body": "x", "priority": "1"}),
        ("add/", {"project": "1", "title": "added", "body": "x", "priority": "1"}),
        ("1/delete/", {"post": "yes"}),
    ],
    ids=["change", "add", "delete"],
)
def test_a_write_attempted_as_viewer_is_refused_and_writes_nothing(world, suffix, data):
    _north, south, alice = world
    client = logged_in(alice)
    response = client.post(note_url(south, suffix), data)
    assert response.status_code == 403
    with schema_context("south"):
        assert list(Note.objects.values_list("title", flat=True)) == ["South note"]
    with schema_context("north"):
        assert list(Note.objects.values_list("title", flat=True)) == ["North note"]


def test_a_bulk_delete_attempted_as_viewer_deletes_nothing(world):
    _north, south, alice = world
    client = logged_in(alice)
    response = client.post(
        f"/@{south.name}/admin/tenantapp/note/",
        {"action": "delete_selected", "_selected_action": ["1"], "post": "yes"},
    )
    assert response.status_code in (200, 302, 403)
    with schema_context("south"):
        assert Note.objects.count() == 1


def test_the_same_post_as_admin_saves_in_its_schema_only(world):
    north, _south, alice = world
    client = logged_in(alice)
    response = client.post(
        note_url(north), {"project": "1", "title": "edited", "body": "x", "priority": "1"}
    )
    assert response.status_code == 302
    with schema_context("north"):
        assert Note.objects.get(pk=1).title == "edited"
    with schema_context("south"):
        assert Note.objects.get(pk=1).title == "South note"


def test_a_role_changed_while_the_session_is_open_takes_effect_on_the_next_request(world):
    north, _south, alice = world
    client = logged_in(alice)
    assert find(client.get(note_url(north)), "input", name="_save")

    Membership.objects.filter(user=alice, schema=north).update(role="viewer")

    assert not find(client.get(note_url(north)), "input", name="_save")
    data = {"project": "1", "title": "late", "body": "", "priority": "1"}
    post = client.post(note_url(north), data)
    assert post.status_code == 403


def test_a_member_with_a_staff_role_logs_in_through_the_admin_login(world):
    _north, _south, alice = world
    alice.set_password("pw")
    alice.save()
    nobody = UserFactory(username="nobody")
    nobody.set_password("pw")
    nobody.save()
    from django.test import Client

    refused = Client().post("/admin/login/", {"username": "nobody", "password": "pw"})
    assert refused.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in refused.wsgi_request.session

    client = Client()
    response = client.post("/admin/login/", {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


# -- statements ------------------------------------------------------------------------


def _statements(client, url):
    client.get(url)  # warm: the first request of a client may store the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured)


def test_an_admin_page_costs_at_most_one_statement_more_than_with_global_permissions(
    world, settings
):
    north, _south, alice = world
    staff = UserFactory(username="staff", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="tenantapp"))
    Membership.objects.create(user=staff, schema=north, role="admin")
    url = f"/@{north.name}/admin/tenantapp/note/"

    with_roles = _statements(logged_in(alice), url)
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    today = _statements(logged_in(staff), url)

    assert with_roles <= today + 1, (with_roles, today)


def test_a_page_that_checks_no_permission_costs_no_extra_statement(world, settings):
    north, _south, alice = world
    url = f"/@{north.name}/tenant/projects/"
    with_roles = _statements(logged_in(alice), url)
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    without = _statements(logged_in(alice), url)
    assert with_roles == without


# -- members managed by the schema's owner ---------------------------------------------


@pytest.fixture
def owned(world):
    north, south, alice = world
    Membership.objects.filter(user=alice, schema=north).update(role="owner")
    bob = UserFactory(username="bob")
    dave = UserFactory(username="dave")
    Membership.objects.create(user=bob, schema=north, role="viewer")
    Membership.objects.create(user=dave, schema=south, role="viewer")
    return north, south, alice, bob, dave


MEMBERS = "/admin/schemaswitch_admin/membership/"


def test_an_owner_sees_and_manages_only_the_active_schemas_members(owned):
    north, south, alice, bob, dave = owned
    client = logged_in(alice)
    page = client.get(f"/@north{MEMBERS}")
    assert page.status_code == 200
    shown = text_of(page)
    assert "bob" in shown and "dave" not in shown

    dave_there = Membership.objects.get(user=dave, schema=south)
    assert client.get(f"/@north{MEMBERS}{dave_there.pk}/change/").status_code in (302, 403, 404)
    # In south alice is a viewer: no member management there.
    assert client.get(f"/@south{MEMBERS}").status_code == 403


def test_an_owner_invites_changes_a_role_and_removes_a_member_and_the_history_says_so(owned):
    north, _south, alice, bob, dave = owned
    client = logged_in(alice)

    added = client.post(f"/@north{MEMBERS}add/", {"user": "dave", "role": "editor"})
    assert added.status_code == 302, text_of(added)[:500]
    assert Membership.objects.get(user=dave, schema=north).role == "editor"

    bobs = Membership.objects.get(user=bob, schema=north)
    changed = client.post(f"/@north{MEMBERS}{bobs.pk}/change/", {"role": "admin"})
    assert changed.status_code == 302, text_of(changed)[:500]
    bobs.refresh_from_db()
    assert (bobs.role, bobs.schema) == ("admin", north)

    removed = client.post(f"/@north{MEMBERS}{bobs.pk}/delete/", {"post": "yes"})
    assert removed.status_code == 302
    assert not Membership.objects.filter(user=bob, schema=north).exists()

    history = [
        e.get_change_message()
        for e in LogEntry.objects.filter(object_id=str(north.pk)).order_by("pk")
        if e.content_type.model_class() is Schema
    ]
    assert any("dave" in m and "editor" in m for m in history), history
    assert any("bob" in m and "viewer" in m and "admin" in m for m in history), history
    assert any("Removed" in m and "bob" in m for m in history), history


def test_an_owner_cannot_touch_another_schemas_memberships_by_tampering(owned):
    north, south, alice, _bob, dave = owned
    client = logged_in(alice)
    daves = Membership.objects.get(user=dave, schema=south)
    client.post(f"/@north{MEMBERS}{daves.pk}/change/", {"role": "owner"})
    client.post(f"/@north{MEMBERS}{daves.pk}/delete/", {"post": "yes"})
    client.post(f"/@north{MEMBERS}add/", {"user": "dave", "role": "viewer", "schema": south.pk})
    daves.refresh_from_db()
    assert daves.role == "viewer"
    assert Membership.objects.filter(schema=south).count() == 2  # alice's and dave's, as before
    # The tampered ``schema`` field was ignored: the invitation is into the owner's schema.
    assert Membership.objects.get(user=dave, schema=north).role == "viewer"


def test_the_last_owner_can_be_neither_demoted_nor_removed(owned):
    north, _south, alice, _bob, _dave = owned
    client = logged_in(alice)
    own = Membership.objects.get(user=alice, schema=north)
    demoted = client.post(f"/@north{MEMBERS}{own.pk}/change/", {"role": "viewer"})
    assert demoted.status_code == 200  # the form again, with the error
    assert "must keep an owner" in text_of(demoted)
    assert client.post(f"/@north{MEMBERS}{own.pk}/delete/", {"post": "yes"}).status_code == 403
    own.refresh_from_db()
    assert own.role == "owner"


# -- commands and checks ---------------------------------------------------------------


def test_create_schema_gives_each_member_the_role_asked_for(db):
    UserFactory(username="ann")
    UserFactory(username="ben")
    call_command(
        "create_schema", "roled", "--member", "ann:viewer", "--member", "ben", stdout=io.StringIO()
    )
    got = dict(
        Membership.objects.filter(schema__name="roled").values_list("user__username", "role")
    )
    assert got == {"ann": "viewer", "ben": roles.default_role()}


def test_create_schema_refuses_an_unknown_role_and_creates_nothing(db):
    UserFactory(username="ann")
    with pytest.raises(CommandError, match="Unknown role"):
        call_command("create_schema", "typo", "--member", "ann:editr", stdout=io.StringIO())
    assert not Schema.objects.filter(name="typo").exists()


def test_model_backend_next_to_the_role_backend_is_reported(settings):
    from django.core import checks

    settings.AUTHENTICATION_BACKENDS = [BACKEND, "django.contrib.auth.backends.ModelBackend"]
    ids = {m.id for m in checks.run_checks()}
    assert "schemaswitch_admin.W017" in ids
    settings.AUTHENTICATION_BACKENDS = [BACKEND]
    assert "schemaswitch_admin.W017" not in {m.id for m in checks.run_checks()}


def test_malformed_roles_are_an_error(settings):
    from django.core import checks

    settings.SCHEMASWITCH_ROLES = {"admin": {"actions": ["fly"]}}
    assert "schemaswitch_admin.E018" in {m.id for m in checks.run_checks()}


def schema_history(schema):
    return [
        e.get_change_message()
        for e in LogEntry.objects.filter(object_id=str(schema.pk)).order_by("pk")
        if e.content_type.model_class() is Schema
    ]


def test_role_changes_by_a_superuser_are_in_the_schemas_history(world):
    north, south, alice = world
    root = SuperUserFactory()
    client = logged_in(root)
    bob = UserFactory(username="bob")
    client.post(
        "/admin/schemaswitch_admin/schema/",
        {
            "action": "add_members",
            "_selected_action": [str(north.pk)],
            "apply": "yes",
            "users": [str(bob.pk)],
            "role": "viewer",
        },
    )
    client.post(
        "/admin/schemaswitch_admin/schema/",
        {
            "action": "remove_members",
            "_selected_action": [str(south.pk)],
            "apply": "yes",
            "users": [str(alice.pk)],
        },
    )
    assert Membership.objects.get(user=bob, schema=north).role == "viewer"
    assert any("bob" in m and "viewer" in m for m in schema_history(north))
    assert any("Removed" in m and "alice" in m for m in schema_history(south))


def test_the_async_permission_api_gives_the_same_answers(world):
    from asgiref.sync import async_to_sync

    north, south, alice = world
    alice.user_permissions.set(Permission.objects.filter(content_type__app_label="tenantapp"))
    alice = fresh(alice)

    async def ask(schema):
        with schema_context(schema):
            return (
                await alice.ahas_perm("tenantapp.change_note"),
                await alice.ahas_perm("tenantapp.view_note"),
                await alice.ahas_module_perms("tenantapp"),
                "tenantapp.change_note" in await alice.aget_all_permissions(),
            )

    assert async_to_sync(ask)("north") == (True, True, True, True)
    assert async_to_sync(ask)("south") == (False, True, True, False)
    assert async_to_sync(ask)(None) == (False, False, False, False)


def test_with_perm_lists_the_members_whose_role_grants_it_here(world):
    from django.contrib.auth import get_user_model

    north, south, alice = world
    globally = UserFactory(username="globally")
    globally.user_permissions.set(Permission.objects.filter(codename="change_note"))
    root = SuperUserFactory()
    User = get_user_model()
    with schema_context("north"):
        assert set(User.objects.with_perm("tenantapp.change_note")) == {alice, root}
    with schema_context("south"):
        assert set(User.objects.with_perm("tenantapp.change_note")) == {root}
        assert set(User.objects.with_perm("tenantapp.view_note")) == {alice, root}


def test_migration_0004_turns_the_old_default_member_into_editor_and_back(world):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module("schemaswitch_admin.migrations.0004_membership_roles")
    north, south, alice = world
    Membership.objects.filter(user=alice, schema=north).update(role="member")
    editor = SimpleNamespace(connection=connection)

    migration.members_become_editors(apps, editor)
    assert dict(Membership.objects.values_list("schema__name", "role")) == {
        "north": "editor",
        "south": "viewer",
    }
    migration.editors_become_members(apps, editor)
    assert Membership.objects.get(schema=north).role == "member"


def test_with_the_schema_aware_session_engine_the_role_comes_with_the_session_read(
    world, settings
):
    settings.SESSION_ENGINE = "schemaswitch_admin.sessions.db"
    north, south, alice = world
    client = logged_in(alice)
    assert find(client.get(note_url(north)), "input", name="_save")
    assert not find(client.get(note_url(south)), "input", name="_save")
    assert client.post(note_url(south), {"title": "x"}).status_code == 403

    url = f"/@{north.name}/admin/tenantapp/note/"
    with_engine = _statements(client, url)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert with_engine < _statements(logged_in(alice), url)
