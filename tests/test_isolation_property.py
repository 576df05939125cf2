"""Property: whatever the users, memberships and schemas, and whatever switch attempts they
replay through every path (query parameter on GET and POST, header, switch view as form and
JSON; sync, async and unguarded views), while memberships are granted and revoked and schemas are
deactivated, reactivated and dropped, every response only shows rows of one schema, the
active one, and that is a schema its user may use at that moment.

The oracle below is written from the rules, not from the code under test: a member may use
an active schema they belong to; a superuser any existing schema; an anonymous user none.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from asgiref.sync import async_to_sync
from django.db import transaction
from django.test import AsyncClient, Client
from hypothesis import example, given, settings
from hypothesis import strategies as st

from schemaswitch_admin.exceptions import SchemaNotActivatedError
from schemaswitch_admin.models import Membership, Schema
from schemaswitch_admin.testing.factories import UserFactory
from tests.switching_support import LIST_URL, ROW_RE, SWITCH_URL, drop_schema, make_schema

POOL = ["alpha", "beta", "gamma"]
CANDIDATES = [*POOL, "", "nosuch", "__template__", "Bad;name", "public"]
SWITCHES = ["query_get", "query_post", "header", "switch_form", "switch_json"]
VIEWS = ["list", "list_async", "list_unguarded"]
CHANGES = ["grant", "revoke", "deactivate", "activate", "drop"]

users_st = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["member", "member", "superuser", "anonymous"]),
            "schemas": st.sets(st.sampled_from(POOL)),
        }
    ),
    min_size=1,
    max_size=3,
)
user_index_st = st.integers(min_value=0, max_value=2)
steps_st = st.lists(
    st.one_of(
        st.tuples(
            user_index_st, st.sampled_from(SWITCHES), st.sampled_from(POOL * 3 + CANDIDATES)
        ),
        st.tuples(user_index_st, st.sampled_from(VIEWS), st.just("")),
        st.tuples(user_index_st, st.sampled_from(CHANGES), st.sampled_from(POOL)),
    ),
    min_size=1,
    max_size=12,
)


@dataclass
class World:
    """The rules' view of the database, kept by the test independently of the code."""

    existing: set = field(default_factory=lambda: set(POOL))
    inactive: set = field(default_factory=set)
    members: dict = field(default_factory=dict)  # user index -> set of names
    kinds: dict = field(default_factory=dict)

    def allowed(self, user: int, name: str | None) -> bool:
        kind = self.kinds[user]
        if name is None or kind == "anonymous" or name not in self.existing:
            return False
        if kind == "superuser":
            return True
        return name in self.members[user] and name not in self.inactive


def shown(response) -> tuple[str | None, set[str]] | None:
    """(active schema, schemas whose rows appear) of a listing response, else ``None``."""
    if response.status_code != 200:
        return None
    if response["Content-Type"].startswith("application/json"):
        body = json.loads(response.content)
        if "names" not in body:
            return None
        return body["active"], {n.removeprefix("row-of-") for n in body["names"]}
    text = response.content.decode()
    first = text.splitlines()[0] if text else ""
    if not first.startswith("active="):
        return None
    active = first.removeprefix("active=")
    return (None if active == "None" else active), set(ROW_RE.findall(text))


def request(client: Client, aclient: AsyncClient, action: str, name: str):
    """The response the user ends up with: redirects are followed (a ``?__schema=`` page
    redirects to its bound URL, a switch to the page it names), so the page they lead to is
    checked too."""
    if action == "query_get":
        return client.get(LIST_URL + "?" + urlencode({"keep": "1", "__schema": name}), follow=True)
    if action == "query_post":
        return client.post(LIST_URL + "?" + urlencode({"__schema": name}), follow=True)
    if action == "header":
        return client.get(LIST_URL, headers={"X-Change-Schema": name}, follow=True)
    if action == "switch_form":
        return client.post(SWITCH_URL, {"schema": name, "next": LIST_URL}, follow=True)
    if action == "switch_json":
        return client.post(
            SWITCH_URL, json.dumps({"schema": name}), content_type="application/json"
        )
    if action == "list":
        return client.get(LIST_URL, follow=True)
    if action == "list_unguarded":
        return client.get("/tenant/projects/plain/", follow=True)
    return async_to_sync(aclient.get)("/tenant/projects/async/", follow=True)


def change(world: World, users: list, user: int, action: str, name: str) -> None:
    if name not in world.existing:
        return
    schema = Schema.objects.get(name=name)
    if action in ("grant", "revoke") and users[user] is None:
        return
    if action == "grant":
        Membership.objects.get_or_create(user=users[user], schema=schema)
        world.members[user].add(name)
    elif action == "revoke":
        Membership.objects.filter(user=users[user], schema=schema).delete()
        world.members[user].discard(name)
    elif action == "deactivate":
        Schema.objects.filter(pk=schema.pk).update(is_active=False)
        world.inactive.add(name)
    elif action == "activate":
        Schema.objects.filter(pk=schema.pk).update(is_active=True)
        world.inactive.discard(name)
    elif action == "drop":
        drop_schema(schema)
        world.existing.discard(name)


@dataclass
class Tally:
    """How many responses the run sent, and how many of them it could really check: a
    listing page or JSON whose active schema and rows were read and held to the rules."""

    responses: int = 0
    checked: int = 0
    examples_with_a_check: int = 0


def replay(user_specs, inactive, steps, tally: Tally | None = None) -> None:
    tally = tally if tally is not None else Tally()
    checked_before = tally.checked
    try:
        _replay(user_specs, inactive, steps, tally)
    finally:
        if tally.checked > checked_before:
            tally.examples_with_a_check += 1


def _replay(user_specs, inactive, steps, tally: Tally) -> None:
    world = World(inactive=set(inactive))
    Schema.objects.filter(name__in=inactive).update(is_active=False)
    users, clients = [], []
    for index, spec in enumerate(user_specs):
        world.kinds[index] = spec["kind"]
        world.members[index] = set(spec["schemas"])
        client, aclient = Client(), AsyncClient()
        user = None
        if spec["kind"] != "anonymous":
            user = UserFactory(is_superuser=spec["kind"] == "superuser")
            for name in spec["schemas"]:
                Membership.objects.create(user=user, schema=Schema.objects.get(name=name))
            client.force_login(user)
        aclient.cookies = client.cookies  # one browser, two protocols
        users.append(user)
        clients.append((client, aclient))

    for raw_user, action, name in steps:
        user = raw_user % len(users)
        if action in CHANGES:
            change(world, users, user, action, name)
            continue
        try:
            response = request(*clients[user], action, name)
        except SchemaNotActivatedError:
            # An unguarded view without a schema must fail like this, never show rows. The
            # failed query aborted the transaction, so this example ends here.
            assert action == "list_unguarded"
            return
        tally.responses += 1
        for url, _status in getattr(response, "redirect_chain", []):
            assert url.startswith("/") and not url.startswith("//"), (action, name, url)
        seen = shown(response)
        if seen is not None:
            tally.checked += 1
            active, rows = seen
            assert rows <= {active}, (action, name, active, rows)
            assert world.allowed(user, active), (action, name, active, world)
        if action in SWITCHES and name and world.kinds[user] != "anonymous":
            refused = response.status_code == 403
            assert refused == (not world.allowed(user, name)), (action, name, response)
        if action in SWITCHES and world.kinds[user] == "anonymous":
            assert response.status_code == 403


#: A response is checked when it is a listing whose active schema and rows the rules are held
#: to; refusals and pages without rows (the chooser, the login page) are not. A run that checks
#: fewer listings than the life-cycle cases below do on their own (8: every listing they reach
#: in a schema the user may use) proves little, whatever the random examples did: the listing
#: format changed, or the requests stopped reaching a schema. The random examples only add.
MIN_CHECKED = 8

MEMBER_OF_TWO = [{"kind": "member", "schemas": {"alpha", "beta"}}]
#: Life-cycle events a random search may take long to line up; always replayed.
LIFE_CYCLE_CASES = [
    (MEMBER_OF_TWO, set(), [(0, "switch_form", "alpha"), (0, "revoke", "alpha"), (0, "list", "")]),
    (
        MEMBER_OF_TWO,
        set(),
        [(0, "header", "alpha"), (0, "deactivate", "alpha"), (0, "list_async", "")],
    ),
    (
        MEMBER_OF_TWO,
        set(),
        [(0, "query_get", "beta"), (0, "drop", "beta"), (0, "list", ""), (0, "query_post", "beta")],
    ),
    (
        [{"kind": "superuser", "schemas": set()}, {"kind": "member", "schemas": set()}],
        {"gamma"},
        [
            (0, "switch_json", "gamma"),
            (1, "list", ""),
            (1, "header", "gamma"),
            (0, "list_async", ""),
        ],
    ),
    (
        # Back-to-back on one connection: a request in alpha, then one with no schema.
        [{"kind": "member", "schemas": {"alpha"}}, {"kind": "member", "schemas": set()}],
        set(),
        [(0, "list", ""), (0, "list", ""), (1, "list_unguarded", "")],
    ),
    (
        [{"kind": "anonymous", "schemas": set()}],
        set(),
        [(0, "query_get", "alpha"), (0, "header", "alpha"), (0, "list", "")],
    ),
]


def test_responses_only_show_rows_of_schemas_the_user_may_use(db):
    for name in POOL:
        make_schema(name)

    tally = Tally()

    @settings(max_examples=30, deadline=None, database=None)
    @given(user_specs=users_st, inactive=st.sets(st.sampled_from(POOL)), steps=steps_st)
    def property_holds(user_specs, inactive, steps):
        with transaction.atomic():
            replay(user_specs, inactive, steps, tally)
            transaction.set_rollback(True)

    for case in LIFE_CYCLE_CASES:
        property_holds = example(*case)(property_holds)
    property_holds()
    assert tally.checked >= MIN_CHECKED, tally
