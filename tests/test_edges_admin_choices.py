"""A private model's admin offers the active schema's members, not every tenant's users:
foreign-key selects, many-to-many selects and autocomplete."""

from __future__ import annotations

import gc
import json
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Permission
from django.core import checks
from django.test import override_settings
from django.urls import include, path

from schemaswitch_admin.admin import MemberChoicesAutocompleteMixin, SchemaAwareModelAdmin
from schemaswitch_admin.models import Membership
from schemaswitch_admin.testing.factories import SchemaFactory, SuperUserFactory, UserFactory
from tests.admin_support import logged_in, switch
from tests.tenantapp.models import Project


def option_values(html: str, name: str) -> set[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select named {name}"
    return {v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v}


@pytest.fixture
def world(db):
    acme, globex = SchemaFactory(name="acme_c"), SchemaFactory(name="globex_c")
    carol = UserFactory(username="carol", is_staff=True)
    carol.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["projects", "tenantapp"])
    )
    dave = UserFactory(username="dave")
    erin = UserFactory(username="erin")
    root = SuperUserFactory(username="root")
    Membership.objects.create(user=carol, schema=acme)
    Membership.objects.create(user=erin, schema=acme)
    Membership.objects.create(user=dave, schema=globex)
    client = logged_in(carol)
    switch(client, "acme_c")
    return carol, dave, erin, root, client


@pytest.fixture(autouse=True)
def _members_only(settings):
    settings.SCHEMASWITCH_MEMBER_CHOICES_SUPERUSERS = False


def test_a_foreign_key_to_users_offers_only_the_schemas_members(world):
    carol, dave, erin, root, client = world

    response = client.get("/admin/projects/project/add/")

    assert response.status_code == 200
    assert option_values(response.content.decode(), "owner") == {str(carol.pk), str(erin.pk)}


def test_a_many_to_many_to_users_offers_only_the_schemas_members(world):
    carol, dave, erin, root, client = world

    response = client.get("/admin/projects/task/add/")

    assert response.status_code == 200
    assert option_values(response.content.decode(), "assignees") == {
        str(carol.pk),
        str(erin.pk),
    }


def test_a_non_member_cannot_be_posted_as_the_owner(world):
    carol, dave, erin, root, client = world
    from projects.models import Client as Customer

    from schemaswitch_admin import schema_context

    with schema_context("acme_c"):
        customer = Customer.objects.create(name="Customer")
    response = client.post(
        "/admin/projects/project/add/",
        {"name": "Sneaky", "client": customer.pk, "owner": dave.pk, "status": "active"},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "owner" in response.context["adminform"].form.errors
    with schema_context("acme_c"):
        from projects.models import Project as DemoProject

        assert not DemoProject.objects.filter(name="Sneaky").exists()


def test_superusers_who_are_not_members_are_left_out_when_configured(world, settings):
    carol, dave, erin, root, client = world
    settings.SCHEMASWITCH_MEMBER_CHOICES_SUPERUSERS = False

    response = client.get("/admin/projects/project/add/")

    assert option_values(response.content.decode(), "owner") == {str(carol.pk), str(erin.pk)}


def test_superusers_are_listed_when_configured(world, settings):
    carol, dave, erin, root, client = world
    settings.SCHEMASWITCH_MEMBER_CHOICES_SUPERUSERS = True

    response = client.get("/admin/projects/project/add/")

    assert option_values(response.content.decode(), "owner") == {
        str(carol.pk),
        str(erin.pk),
        str(root.pk),
    }


# -- autocomplete ---------------------------------------------------------------------------

site = admin.AdminSite(name="choices_site")


@admin.register(get_user_model(), site=site)
class MemberUserAdmin(MemberChoicesAutocompleteMixin, UserAdmin):
    pass


@admin.register(Project, site=site)
class OwnedProjectAdmin(SchemaAwareModelAdmin):
    autocomplete_fields = ["owner"]


urlpatterns = [
    path("choices-admin/", site.urls),
    path("schemas/", include("schemaswitch_admin.urls")),
]


@override_settings(ROOT_URLCONF=__name__)
def test_autocomplete_of_users_lists_only_the_schemas_members(world):
    carol, dave, erin, root, client = world
    carol.user_permissions.add(*Permission.objects.filter(codename="view_user"))

    response = client.get(
        "/choices-admin/autocomplete/",
        {"app_label": "tenantapp", "model_name": "project", "field_name": "owner", "term": ""},
    )

    assert response.status_code == 200, response.content[:300]
    ids = {item["id"] for item in json.loads(response.content)["results"]}
    assert ids == {str(carol.pk), str(erin.pk)}


def test_an_autocomplete_to_users_without_the_mixin_is_warned_about():
    from schemaswitch_admin.admin.checks import check_member_limited_autocomplete

    plain_site = admin.AdminSite(name="plain_choices_site")
    try:
        plain_site.register(get_user_model(), UserAdmin)
        plain_site.register(Project, OwnedProjectAdmin)
        found = check_member_limited_autocomplete(sites=[plain_site, site])
    finally:
        # AdminSite and its ModelAdmins reference each other: collect the cycle so the
        # site leaves django.contrib.admin's registry of sites (a WeakSet) at once.
        del plain_site
        gc.collect()

    assert [m.id for m in found] == ["schemaswitch_admin.W102"]
    assert "OwnedProjectAdmin" in found[0].msg
    # The project's own sites (and this module's site, which has the mixin) are clean.
    assert not check_member_limited_autocomplete(sites=[site, admin.site])
    assert checks.Warning is type(found[0])
