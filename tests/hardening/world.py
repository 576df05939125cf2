"""A populated world for the servers: schemas whose rows name their schema, users with mixed
memberships and ready-made logged-in sessions.

Built in-process (the soak, against the test database) or in a subprocess against another
server (``python -m tests.hardening.world build ...``, used for the throwaway cluster). The
session cookies are created in the database, so clients skip the login round trip.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROWS_PER_SCHEMA = 3


@dataclass
class Visitor:
    """A user as the load client sees them: a session cookie and the schemas they may use."""

    username: str
    password: str
    session_key: str
    schemas: list[str]
    #: The schema the session starts in (stored choice or the only schema), or ``None``.
    start: str | None


@dataclass
class World:
    schemas: list[str]
    visitors: list[Visitor] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    #: Where each session is now (by session key), kept up to date by the load client
    #: across runs, since the servers store every switch in the session.
    where: dict[str, str | None] = field(default_factory=dict)
    #: Other schemas a session may be in after a failed switch (see the load client).
    maybe: dict[str, set[str | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for visitor in self.visitors:
            self.where.setdefault(visitor.session_key, visitor.start)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> World:
        data = json.loads(text)
        return cls(
            schemas=data["schemas"],
            visitors=[Visitor(**v) for v in data["visitors"]],
            usernames=data["usernames"],
            where=data.get("where", {}),
        )


def row_name(schema: str, index: int) -> str:
    return f"{schema}|row{index}"


def schema_of_row(row: str) -> str:
    return row.split("|", 1)[0]


def membership_plan(n_users: int, schemas: list[str], seed: int) -> list[list[str]]:
    """Mixed memberships: a few users in no schema, many in one, the rest in two to five."""
    rng = random.Random(seed)
    plan = []
    for i in range(n_users):
        if i % 20 == 0:
            count = 0
        elif i % 3 == 0:
            count = 1
        else:
            count = rng.randint(2, 5)
        count = min(count, len(schemas))
        plan.append(sorted(rng.sample(schemas, count)))
    return plan


def build(prefix: str, n_schemas: int, n_users: int, seed: int = 7) -> World:
    """Create everything and commit it (call with the database unblocked, outside a test
    transaction, so that server processes see it)."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from schemaswitch_admin import schema_context
    from schemaswitch_admin.middleware import SESSION_KEY as CHOICE_KEY
    from schemaswitch_admin.models import Membership, Schema
    from tests.tenantapp.models import Project

    schemas = [f"{prefix}_{i:02d}" for i in range(n_schemas)]
    for name in schemas:
        Schema.objects.create_schema(name, display_name=name)
        with schema_context(name):
            Project.objects.bulk_create(
                [Project(name=row_name(name, i)) for i in range(ROWS_PER_SCHEMA)]
            )
    User = get_user_model()
    password = "pw-" + prefix
    template = User(username="x")
    template.set_password(password)
    users = User.objects.bulk_create(
        [User(username=f"{prefix}_user{i:03d}", password=template.password) for i in range(n_users)]
    )
    by_name = {s.name: s for s in Schema.objects.filter(name__in=schemas)}
    plan = membership_plan(n_users, schemas, seed)
    Membership.objects.bulk_create(
        [
            Membership(user=u, schema=by_name[s])
            for u, names in zip(users, plan, strict=True)
            for s in names
        ]
    )
    world = World(schemas=schemas, usernames=[u.username for u in users])
    for i, (user, names) in enumerate(zip(users, plan, strict=True)):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        start = None
        if names and (len(names) > 1 or i % 2 == 0):
            start = names[-1]
            store[CHOICE_KEY] = start
        elif len(names) == 1:
            start = names[0]  # chosen automatically on the first request
        store.create()
        world.visitors.append(Visitor(user.username, password, store.session_key, names, start))
        world.where[store.session_key] = start
    return world


def destroy(world: World) -> None:
    """Drop the schemas, then delete the sessions, memberships and users.

    The users are deleted with plain SQL: Django's deletion collector would follow the
    private models that point at users (a task's assignees) into tenant tables, which only
    exist inside schemas.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from psycopg import sql

    from schemaswitch_admin.models import Membership, Schema

    for schema in Schema.objects.filter(name__in=world.schemas):
        schema.drop()
    User = get_user_model()
    with transaction.atomic():
        Session.objects.filter(session_key__in=[v.session_key for v in world.visitors]).delete()
        Membership.objects.filter(user__username__in=world.usernames).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DELETE FROM {} WHERE username = ANY(%s)").format(
                    sql.Identifier(User._meta.db_table)
                ),
                [world.usernames],
            )



@contextmanager
def built_world(blocker, prefix: str, n_schemas: int, n_users: int) -> Iterator[tuple[World, str]]:
    """A committed world for a module of tests, destroyed afterwards; yields it with the
    test database's name (which server subprocesses must use)."""
    from django.db import connection

    with blocker.unblock():
        world = build(prefix, n_schemas=n_schemas, n_users=n_users)
        db_name = connection.settings_dict["NAME"]
    try:
        yield world, db_name
    finally:
        with blocker.unblock():
            destroy(world)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hardening.world")
    parser.add_argument("action", choices=["build", "schemas"])
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--schemas", type=int, default=6)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    if args.action == "build":
        world = build(args.prefix, args.schemas, args.users)
        if args.out:
            args.out.write_text(world.to_json())
    else:
        from schemaswitch_admin.models import Schema

        for i in range(args.schemas):
            Schema.objects.create_schema(f"{args.prefix}_{i:02d}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
