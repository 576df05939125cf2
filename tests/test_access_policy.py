"""One access policy: the per-request check and every list of usable schemas agree."""

from __future__ import annotations

import itertools

import pytest

from schemaswitch_admin.access import Verdict, usable_schemas, verdict
from schemaswitch_admin.entering import check_and_enter
from schemaswitch_admin.models import Membership
from schemaswitch_admin.testing.factories import SchemaFactory, SuperUserFactory, UserFactory


@pytest.fixture
def cast(db):
    live, dormant = SchemaFactory(name="pol_live"), SchemaFactory(name="pol_dormant")
    dormant.delete()  # deactivates
    member, stranger, root = UserFactory(), UserFactory(), SuperUserFactory()
    gone = UserFactory(is_active=False)
    for user in (member, gone):
        Membership.objects.create(user=user, schema=live)
        Membership.objects.create(user=user, schema=dormant)
    dormant.refresh_from_db()
    return [live, dormant], [member, stranger, root, gone]


@pytest.mark.parametrize(
    ("all_schemas", "inactive"), list(itertools.product([True, False], repeat=2))
)
def test_the_check_and_the_lists_apply_the_same_rules(cast, settings, all_schemas, inactive):
    settings.SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS = all_schemas
    settings.SCHEMASWITCH_SUPERUSER_INACTIVE_SCHEMAS = inactive
    schemas, users = cast
    for user, schema in itertools.product(users, schemas):
        listed = usable_schemas(user).filter(pk=schema.pk).exists()
        checked = check_and_enter(user, schema.name).allowed
        assert listed == checked, (user.username, schema.name)


def test_the_rules(cast, settings):
    (live, dormant), (member, stranger, root, gone) = cast
    assert verdict(member, live, True) is Verdict.ALLOWED
    assert verdict(member, dormant, True) is Verdict.INACTIVE
    assert verdict(stranger, live, False) is Verdict.NOT_MEMBER
    assert verdict(root, dormant, False) is Verdict.ALLOWED
    assert verdict(gone, live, True) is Verdict.ANONYMOUS
    settings.SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS = False
    assert verdict(root, live, False) is Verdict.NOT_MEMBER
