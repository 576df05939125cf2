"""Schema rows and PostgreSQL schemas are created, deactivated and dropped together."""

import pytest
from django.db import IntegrityError, connection, transaction

from schemaswitch_admin.access import can_use_schema, usable_schemas
from schemaswitch_admin.exceptions import InvalidSchemaName
from schemaswitch_admin.models import Membership, Schema
from schemaswitch_admin.signals import schema_created, schema_dropped
from schemaswitch_admin.testing.factories import (
    MembershipFactory,
    SuperUserFactory,
    UserFactory,
)
from tests.test_activation import HOSTILE_NAMES


def pg_schemas():
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {r[0] for r in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.parametrize("name", [*HOSTILE_NAMES, "__template__"])
def test_invalid_and_hostile_names_create_nothing(name):
    before_schemas, before_rows = pg_schemas(), Schema.objects.count()
    with pytest.raises(InvalidSchemaName):
        Schema.objects.create_schema(name)
    assert pg_schemas() == before_schemas
    assert Schema.objects.count() == before_rows


@pytest.mark.django_db
def test_invalid_name_is_a_field_error_in_full_clean():
    with pytest.raises(Exception) as exc:
        Schema(name="Bad Name").full_clean()
    assert "name" in exc.value.message_dict


@pytest.mark.django_db
def test_creating_a_row_creates_the_schema(django_capture_on_commit_callbacks):
    received = []
    schema_created.connect(lambda schema, **kw: received.append(schema.name), weak=False,
                           dispatch_uid="t_created")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            Schema.objects.create_schema("acme", display_name="Acme Inc.")
    finally:
        schema_created.disconnect(dispatch_uid="t_created")
    assert "acme" in pg_schemas()
    assert received == ["acme"]
    assert str(Schema.objects.get(name="acme")) == "Acme Inc."


@pytest.mark.django_db
def test_duplicate_name_creates_nothing_more():
    Schema.objects.create_schema("dup")
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Schema.objects.create_schema("dup")
    assert Schema.objects.filter(name="dup").count() == 1


@pytest.mark.django_db
def test_delete_deactivates_and_keeps_data():
    schema = Schema.objects.create_schema("keepme")
    schema.delete()
    schema.refresh_from_db()
    assert schema.is_active is False
    assert "keepme" in pg_schemas()
    Schema.objects.filter(name="keepme").delete()
    assert Schema.objects.filter(name="keepme").exists()


@pytest.mark.django_db
def test_drop_removes_schema_row_and_memberships(django_capture_on_commit_callbacks):
    membership = MembershipFactory(schema__name="dropme")
    received = []
    schema_dropped.connect(lambda schema, **kw: received.append(schema), weak=False,
                           dispatch_uid="t_dropped")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            membership.schema.drop()
    finally:
        schema_dropped.disconnect(dispatch_uid="t_dropped")
    assert "dropme" not in pg_schemas()
    assert not Schema.objects.filter(name="dropme").exists()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert received == ["dropme"]


@pytest.mark.django_db
def test_membership_pair_is_unique():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Membership.objects.create(user=membership.user, schema=membership.schema)


@pytest.mark.django_db
def test_users_use_their_memberships_and_superusers_all(settings):
    a = MembershipFactory(schema__name="use_a")
    MembershipFactory(user=a.user, schema__name="use_b")
    MembershipFactory(schema__name="use_c")
    inactive = MembershipFactory(user=a.user, schema__name="use_off").schema
    inactive.delete()
    user, admin, stranger = a.user, SuperUserFactory(), UserFactory()

    assert set(usable_schemas(user).values_list("name", flat=True)) == {"use_a", "use_b"}
    assert can_use_schema(user, "use_a") and not can_use_schema(user, "use_c")
    assert not can_use_schema(user, "use_off")
    assert not usable_schemas(stranger).exists()
    assert set(usable_schemas(admin).values_list("name", flat=True)) >= {
        "use_a", "use_b", "use_c", "use_off",
    }
    settings.SCHEMASWITCH_SUPERUSER_INACTIVE_SCHEMAS = False
    assert "use_off" not in set(usable_schemas(admin).values_list("name", flat=True))
    settings.SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS = False
    assert not usable_schemas(admin).exists()


@pytest.mark.django_db
def test_drop_in_the_same_transaction_as_inserts_with_deferred_checks():
    from schemaswitch_admin import schema_context
    from tests.tenantapp.models import Note, Project

    schema = Schema.objects.create_schema("drop_busy")
    with schema_context("drop_busy"):
        project = Project.objects.create(name="p")
        Note.objects.create(project=project, title="t")  # deferred FK check queued
    schema.drop()
    assert "drop_busy" not in pg_schemas()
