"""Adversarial review of issue 15 (per-schema roles): a hostile member or a careless
integrator tries to get more than the role in the active schema allows.

alice is ``owner`` of north and ``viewer`` of south, with no global ``is_staff`` and no global
permission; carol is a second owner of north; dave is a viewer of south.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.db import models

from schemaswitch_admin import roles, schema_context
from schemaswitch_admin.auth import SchemaRoleBackend
from schemaswitch_admin.checks import check_roles
from schemaswitch_admin.models import Membership
from schemaswitch_admin.testing.factories import UserFactory
from tests.admin_support import logged_in, make_schema_with_note
from tests.tenantapp.models import Note

pytestmark = [pytest.mark.django_db]

BACKEND = "schemaswitch_admin.auth.SchemaRoleBackend"
MEMBERS = "/admin/schemaswitch_admin/membership/"


class ProjectRoleBackend(SchemaRoleBackend):
    """What an integrator writes to add e.g. login by e-mail to the role backend."""


SUBCLASSED_BACKEND = f"{__name__}.ProjectRoleBackend"


@pytest.fixture
def role_backend(settings):
    settings.AUTHENTICATION_BACKENDS = [BACKEND]


@pytest.fixture
def world():
    north = make_schema_with_note("north", "North note")
    south = make_schema_with_note("south", "South note")
    alice = UserFactory(username="alice")
    carol = UserFactory(username="carol")
    dave = UserFactory(username="dave")
    Membership.objects.create(user=alice, schema=north, role="owner")
    Membership.objects.create(user=carol, schema=north, role="owner")
    Membership.objects.create(user=alice, schema=south, role="viewer")
    Membership.objects.create(user=dave, schema=south, role="viewer")
    return north, south, alice, carol, dave


def fresh(user):
    return type(user).objects.get(pk=user.pk)


# -- owners: the schema keeps an owner ---------------------------------------------------


@pytest.mark.usefixtures("role_backend")
def test_a_bulk_delete_of_every_owner_at_once_is_refused_and_deletes_nothing(world):
    """Each owner alone may go (another one is left), so a per-object check admits both;
    together they are every owner of the schema."""
    north, _south, alice, carol, _dave = world
    owners = list(Membership.objects.filter(schema=north).values_list("pk", flat=True))
    client = logged_in(alice)

    response = client.post(
        f"/@north{MEMBERS}",
        {"action": "delete_selected", "_selected_action": [str(p) for p in owners], "post": "y"},
    )

    assert response.status_code == 403
    assert Membership.objects.filter(schema=north, role="owner").count() == 2


@pytest.mark.usefixtures("role_backend")
def test_a_bulk_delete_of_one_of_two_owners_still_works(world):
    north, _south, alice, carol, _dave = world
    carols = Membership.objects.get(schema=north, user=carol)
    client = logged_in(alice)

    response = client.post(
        f"/@north{MEMBERS}",
        {"action": "delete_selected", "_selected_action": [str(carols.pk)], "post": "yes"},
    )

    assert response.status_code == 302
    left = Membership.objects.filter(schema=north).values_list("user__username", flat=True)
    assert list(left) == ["alice"]


@pytest.mark.usefixtures("role_backend")
def test_an_owners_bulk_delete_cannot_reach_another_schemas_members(world):
    north, south, alice, _carol, dave = world
    daves = Membership.objects.get(schema=south, user=dave)
    client = logged_in(alice)

    client.post(
        f"/@north{MEMBERS}",
        {"action": "delete_selected", "_selected_action": [str(daves.pk)], "post": "yes"},
    )

    assert Membership.objects.filter(pk=daves.pk).exists()


# -- the check that warns about backends granting private permissions globally ----------


@pytest.mark.parametrize(
    "other",
    [
        "django.contrib.auth.backends.AllowAllUsersModelBackend",
        "django.contrib.auth.backends.RemoteUserBackend",
    ],
)
def test_a_model_backend_subclass_next_to_the_role_backend_is_reported(settings, other):
    """Both are ModelBackends: their global grants on private models hold in every schema."""
    settings.AUTHENTICATION_BACKENDS = [BACKEND, other]
    assert "schemaswitch_admin.W017" in [m.id for m in check_roles()]


def test_a_subclassed_role_backend_next_to_model_backend_is_reported(settings):
    settings.AUTHENTICATION_BACKENDS = [
        SUBCLASSED_BACKEND,
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert "schemaswitch_admin.W017" in [m.id for m in check_roles()]


def test_the_role_backend_alone_or_a_subclass_alone_is_not_reported(settings):
    for backends in ([BACKEND], [SUBCLASSED_BACKEND]):
        settings.AUTHENTICATION_BACKENDS = backends
        assert not [m for m in check_roles() if m.level >= checks.WARNING]


def test_a_leak_through_a_model_backend_subclass_is_real(settings, world):
    """Why W017 must see subclasses: a viewer with a global grant changes notes in south."""
    settings.AUTHENTICATION_BACKENDS = [
        BACKEND,
        "django.contrib.auth.backends.AllowAllUsersModelBackend",
    ]
    _north, _south, alice, _carol, _dave = world
    alice.user_permissions.add(Permission.objects.get(codename="change_note"))
    with schema_context("south"):
        assert fresh(alice).has_perm("tenantapp.change_note")


# -- a subclass of the role backend is the role backend ----------------------------------


def test_a_subclassed_role_backend_opens_the_admin_by_role(settings, world):
    settings.AUTHENTICATION_BACKENDS = [SUBCLASSED_BACKEND]
    _north, _south, alice, _carol, _dave = world
    client = logged_in(alice)
    assert client.get("/@north/admin/tenantapp/note/1/change/").status_code == 200


def test_a_subclassed_role_backend_lets_owners_manage_members(settings, world):
    settings.AUTHENTICATION_BACKENDS = [SUBCLASSED_BACKEND]
    client = logged_in(world[2])
    assert client.get(f"/@north{MEMBERS}").status_code == 200


# -- private models without a table of their own ------------------------------------------


@pytest.fixture
def extra_private_model(request):
    """A proxy of a private model, or an unmanaged model of a private app (e.g. a view in
    each tenant's schema): both read the tenant's rows."""
    kind = request.param
    if kind == "proxy":
        attrs = {"Meta": type("Meta", (), {"proxy": True, "app_label": "tenantapp"})}
        model = type("ArchivedNote", (Note,), {"__module__": __name__, **attrs})
    else:
        attrs = {
            "Meta": type(
                "Meta",
                (),
                {"managed": False, "app_label": "tenantapp", "db_table": "tenantapp_note"},
            ),
            "title": models.CharField(max_length=200),
        }
        model = type("NoteReport", (models.Model,), {"__module__": __name__, **attrs})
    roles.clear_caches()
    yield model
    del apps.all_models["tenantapp"][model._meta.model_name]
    apps.clear_cache()
    roles.clear_caches()


@pytest.mark.usefixtures("role_backend")
@pytest.mark.parametrize("extra_private_model", ["proxy", "unmanaged"], indirect=True)
def test_permissions_of_a_proxy_or_unmanaged_private_model_follow_the_role(
    world, extra_private_model
):
    _north, _south, alice, _carol, _dave = world
    opts = extra_private_model._meta
    content_type = ContentType.objects.get_for_model(extra_private_model, for_concrete_model=False)
    change = Permission.objects.create(
        content_type=content_type, codename=f"change_{opts.model_name}", name="change"
    )
    perm = f"tenantapp.change_{opts.model_name}"
    alice.user_permissions.add(change)
    alice = fresh(alice)
    with schema_context("south"):  # viewer there: a global grant must not let her write
        assert not alice.has_perm(perm)
        assert alice.has_perm(f"tenantapp.view_{opts.model_name}")
    with schema_context("north"):  # owner there
        assert alice.has_perm(perm)


@pytest.fixture
def shared_proxy_in_private_app():
    from django.contrib.auth import get_user_model

    meta = type("Meta", (), {"proxy": True, "app_label": "tenantapp"})
    model = type("Helpdesk", (get_user_model(),), {"__module__": __name__, "Meta": meta})
    roles.clear_caches()
    yield model
    del apps.all_models["tenantapp"][model._meta.model_name]
    apps.clear_cache()
    roles.clear_caches()


@pytest.mark.usefixtures("role_backend")
def test_a_proxy_of_a_shared_model_in_a_private_app_keeps_global_permissions(
    world, shared_proxy_in_private_app
):
    """Its rows are the shared ones (``auth_user`` in public): a role must not grant them."""
    _north, _south, alice, carol, _dave = world
    content_type = ContentType.objects.get_for_model(
        shared_proxy_in_private_app, for_concrete_model=False
    )
    Permission.objects.create(content_type=content_type, codename="change_helpdesk", name="c")
    carol.user_permissions.add(Permission.objects.get(codename="change_helpdesk"))
    alice, carol = fresh(alice), fresh(carol)
    with schema_context("north"):  # both owners here; only carol holds the global grant
        assert not alice.has_perm("tenantapp.change_helpdesk")
        assert carol.has_perm("tenantapp.change_helpdesk")


# -- the role new memberships get ------------------------------------------------------------


def test_roles_without_the_default_role_are_reported_rather_than_defaulting_to_owner(
    settings,
):
    """Renaming ``editor`` in a copy of the default roles silently made every new member
    (``create_schema --member NAME``, the Schema admin's "add members", ``Membership()``) an
    owner: the first role defined."""
    settings.SCHEMASWITCH_ROLES = {
        "owner": {"actions": ["view", "add", "change", "delete"], "manage_members": True},
        "member": {"actions": ["view"]},
    }
    assert roles.default_role() == "owner"  # the fallback the check must report
    assert "schemaswitch_admin.E018" in [m.id for m in check_roles()]


def test_an_explicit_default_role_that_is_not_defined_is_reported(settings):
    settings.SCHEMASWITCH_DEFAULT_ROLE = "member"
    assert "schemaswitch_admin.E018" in [m.id for m in check_roles()]


def test_a_defined_default_role_is_not_reported(settings):
    settings.SCHEMASWITCH_ROLES = {"owner": {"manage_members": True}, "member": {}}
    settings.SCHEMASWITCH_DEFAULT_ROLE = "member"
    assert not [m for m in check_roles() if m.level >= checks.WARNING]


# -- more owner attacks ------------------------------------------------------------------


@pytest.mark.usefixtures("role_backend")
@pytest.mark.parametrize("how", ["delete", "demote"])
def test_an_inactive_user_does_not_count_as_the_owner_left(world, how):
    """carol, the other owner, was deactivated: she can manage nothing, so alice is the last
    owner who can, and must stay."""
    north, _south, alice, carol, _dave = world
    carol.is_active = False
    carol.save()
    own = Membership.objects.get(schema=north, user=alice)
    client = logged_in(alice)

    if how == "delete":
        client.post(f"/@north{MEMBERS}{own.pk}/delete/", {"post": "yes"})
    else:
        client.post(f"/@north{MEMBERS}{own.pk}/change/", {"role": "viewer"})

    own = Membership.objects.filter(pk=own.pk).first()
    assert own is not None and own.role == "owner"


@pytest.mark.usefixtures("role_backend")
def test_the_admin_login_of_a_member_elsewhere_does_not_lead_off_site(world):
    """A logged-in member whose active schema opens no admin is sent to the chooser with the
    ``next`` of the login page: an off-site ``next`` must not survive the trip."""
    _north, _south, alice, _carol, _dave = world
    client = logged_in(alice)
    response = client.get("/admin/login/", {"next": "https://evil.example/"})
    assert response.status_code == 302
    chooser = client.get(response["Location"])
    assert "evil.example" not in chooser.content.decode()
    switched = client.post(
        "/schemas/switch/", {"schema": "north", "next": "https://evil.example/"}
    )
    assert "evil.example" not in switched.get("Location", "")


@pytest.mark.usefixtures("role_backend")
def test_an_owner_with_a_global_view_permission_on_memberships_still_manages_their_schema(
    world,
):
    north, _south, alice, _carol, dave = world
    alice.user_permissions.add(Permission.objects.get(codename="view_membership"))
    client = logged_in(alice)
    response = client.post(f"/@north{MEMBERS}add/", {"user": "dave", "role": "viewer"})
    assert response.status_code == 302
    assert Membership.objects.filter(schema=north, user=dave).exists()
