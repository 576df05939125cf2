"""The schema and membership admins: create clones the template, deactivate keeps data, drop
needs the typed name, memberships inline and add/remove member actions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Membership, Schema
from schemaswitch_admin.testing.factories import UserFactory
from tests.admin_support import (
    find,
    logged_in,
    make_schema_with_note,
    make_superuser,
    text_of,
)
from tests.tenantapp.models import Note

SCHEMAS_URL = "/admin/schemaswitch_admin/schema/"
MEMBERSHIPS_URL = "/admin/schemaswitch_admin/membership/"
NO_INLINES = {"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}


def pg_schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


@pytest.fixture
def admin_client_(db):
    return logged_in(make_superuser())


@pytest.fixture
def north(db):
    return make_schema_with_note("north", "North note")


def test_adding_a_schema_clones_the_template(admin_client_):
    response = admin_client_.post(
        SCHEMAS_URL + "add/",
        {"name": "fresh", "display_name": "Fresh", "is_active": "on", **NO_INLINES},
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    schema = Schema.objects.get(name="fresh")
    assert schema.display_name == "Fresh"
    assert pg_schema_exists("fresh")
    with schema_context("fresh"):
        assert Note.objects.count() == 0  # the template's tables, none of anyone's rows
    assert response["Location"] == SCHEMAS_URL


def test_adding_a_schema_with_members_from_the_inline(admin_client_):
    user = UserFactory()

    response = admin_client_.post(
        SCHEMAS_URL + "add/",
        {
            "name": "team",
            "display_name": "Team",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": str(user.pk),
            "memberships-0-role": "admin",
        },
    )

    assert response.status_code == 302
    membership = Membership.objects.get(schema__name="team")
    assert (membership.user, membership.role) == (user, "admin")


def test_an_invalid_or_reserved_name_is_a_form_error(admin_client_):
    for name in ["Bad Name", "public", "pg_mine", "__template__"]:
        response = admin_client_.post(
            SCHEMAS_URL + "add/", {"name": name, "is_active": "on", **NO_INLINES}
        )
        assert response.status_code == 200, name
        assert response.context["adminform"].form.errors["name"], name
    assert not Schema.objects.exists()


def test_a_schemas_name_cannot_be_changed(admin_client_, north):
    response = admin_client_.post(
        f"{SCHEMAS_URL}{north.pk}/change/",
        {"name": "renamed", "display_name": "North", "is_active": "on", **NO_INLINES},
    )

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.name == "north"


def test_change_page_lists_memberships_inline(admin_client_, north):
    user = UserFactory(username="inline_member")
    Membership.objects.create(user=user, schema=north)

    response = admin_client_.get(f"{SCHEMAS_URL}{north.pk}/change/")

    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.user for form in formset.forms if form.instance.pk] == [user]


def test_changelist_shows_member_counts(admin_client_, north):
    Membership.objects.create(user=UserFactory(), schema=north)
    Membership.objects.create(user=UserFactory(), schema=north)

    response = admin_client_.get(SCHEMAS_URL)

    assert [s.member_count for s in response.context["cl"].result_list] == [2]


def test_django_delete_is_not_offered_because_it_would_not_delete(admin_client_, north):
    changelist = admin_client_.get(SCHEMAS_URL)
    change = admin_client_.get(f"{SCHEMAS_URL}{north.pk}/change/")

    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"].choices)
    assert not find(change, "a", class_="deletelink")
    assert admin_client_.get(f"{SCHEMAS_URL}{north.pk}/delete/").status_code == 403


def test_deactivate_action_keeps_the_data(admin_client_, north):
    response = admin_client_.post(
        SCHEMAS_URL, {"action": "deactivate_schemas", "_selected_action": [str(north.pk)]}
    )

    assert response.status_code == 302
    north.refresh_from_db()
    assert north.is_active is False
    with schema_context("north"):
        assert Note.objects.get(pk=1).title == "North note"


def test_activate_action_reactivates(admin_client_, north):
    north.is_active = False
    north.save()

    admin_client_.post(
        SCHEMAS_URL, {"action": "activate_schemas", "_selected_action": [str(north.pk)]}
    )

    north.refresh_from_db()
    assert north.is_active is True


def test_drop_link_on_the_change_page_leads_to_a_confirmation(admin_client_, north):
    change = admin_client_.get(f"{SCHEMAS_URL}{north.pk}/change/")
    drop_url = f"{SCHEMAS_URL}{north.pk}/drop/"

    assert find(change, "a", href=drop_url)
    page = admin_client_.get(drop_url)
    assert page.status_code == 200
    assert "cannot be undone" in text_of(page)
    assert pg_schema_exists("north")


def test_drop_with_the_wrong_name_drops_nothing(admin_client_, north):
    response = admin_client_.post(f"{SCHEMAS_URL}{north.pk}/drop/", {"confirm_name": "nort"})

    assert response.status_code == 200
    assert response.context["form"].errors["confirm_name"]
    assert pg_schema_exists("north") and Schema.objects.filter(name="north").exists()


def test_drop_with_the_typed_name_drops_the_schema_and_its_data(admin_client_, north):
    Membership.objects.create(user=UserFactory(), schema=north)
    # The test runs in one transaction: fire the deferred foreign-key checks of the rows
    # made above, as their commit would have, so PostgreSQL lets the tables go.
    connection.check_constraints()

    response = admin_client_.post(f"{SCHEMAS_URL}{north.pk}/drop/", {"confirm_name": "north"})

    assert response.status_code == 302 and response["Location"] == SCHEMAS_URL
    assert not pg_schema_exists("north")
    assert not Schema.objects.filter(name="north").exists()
    assert not Membership.objects.exists()


def test_drop_needs_the_delete_permission(north):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_schema", "change_schema"])
    )
    client = logged_in(staff)

    change = client.get(f"{SCHEMAS_URL}{north.pk}/change/")
    assert change.status_code == 200
    assert not find(change, "a", class_="schemaswitch-droplink")
    response = client.post(f"{SCHEMAS_URL}{north.pk}/drop/", {"confirm_name": "north"})
    assert response.status_code == 403
    assert pg_schema_exists("north")


def test_add_members_action_asks_for_users_then_adds_them(admin_client_, north):
    south = make_schema_with_note("south", "South note")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    Membership.objects.create(user=alice, schema=north)
    selected = [str(north.pk), str(south.pk)]

    page = admin_client_.post(SCHEMAS_URL, {"action": "add_members", "_selected_action": selected})
    assert page.status_code == 200
    assert "alice" in text_of(page) and "bob" in text_of(page)

    response = admin_client_.post(
        SCHEMAS_URL,
        {
            "action": "add_members",
            "_selected_action": selected,
            "apply": "yes",
            "users": [str(alice.pk), str(bob.pk)],
            "role": "admin",
        },
    )

    assert response.status_code == 302
    assert set(Membership.objects.values_list("user__username", "schema__name", "role")) == {
        ("alice", "north", "editor"),  # existing memberships are left as they were (default role)
        ("alice", "south", "admin"),
        ("bob", "north", "admin"),
        ("bob", "south", "admin"),
    }


def test_remove_members_action_offers_only_members_and_removes_them(admin_client_, north):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    UserFactory(username="carol")
    Membership.objects.create(user=alice, schema=north)
    Membership.objects.create(user=bob, schema=north)
    selected = [str(north.pk)]

    page = admin_client_.post(
        SCHEMAS_URL, {"action": "remove_members", "_selected_action": selected}
    )
    offered = page.context["form"].fields["users"].queryset
    assert {u.username for u in offered} == {"alice", "bob"}

    admin_client_.post(
        SCHEMAS_URL,
        {
            "action": "remove_members",
            "_selected_action": selected,
            "apply": "yes",
            "users": [str(alice.pk)],
        },
    )

    assert list(Membership.objects.values_list("user__username", flat=True)) == ["bob"]


def test_member_actions_need_membership_permissions(north):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_schema", "change_schema"])
    )

    response = logged_in(staff).get(SCHEMAS_URL)

    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "deactivate_schemas" in actions
    assert "add_members" not in actions and "remove_members" not in actions


def test_membership_admin_lists_and_searches(admin_client_, north):
    south = make_schema_with_note("south", "South note")
    Membership.objects.create(user=UserFactory(username="alice"), schema=north)
    Membership.objects.create(user=UserFactory(username="bob"), schema=south)

    everything = admin_client_.get(MEMBERSHIPS_URL)
    found = admin_client_.get(MEMBERSHIPS_URL, {"q": "south"})

    assert everything.context["cl"].result_count == 2
    assert [str(m) for m in found.context["cl"].result_list] == ["bob @ South"]
