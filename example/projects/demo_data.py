"""The demo's schemas, users and rows, and the code that puts them in place.

Seeding is idempotent, and ``rundemo`` runs it at every start. The schemas, the users, their
passwords and memberships are put back as listed here each time, so the printed logins always
work; a schema's rows are only added while it has none, so edits made in the demo (a project
renamed in the admin) survive a restart instead of being seeded again beside the edited rows.
The same data serves the tests, which check that each demo user sees exactly these schemas.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Membership
from schemaswitch_admin.schema_model import get_schema_model

from .models import Client, Project, Task


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    #: Schema name -> role (SCHEMASWITCH_ROLES); empty for the superuser, who may use every
    #: schema.
    memberships: dict[str, str] = field(default_factory=dict)
    is_staff: bool = False
    is_superuser: bool = False
    note: str = ""

    @property
    def schema_names(self) -> list[str]:
        """The schemas this login may use (all of them for the superuser)."""
        return list(self.memberships) if self.memberships else list(SCHEMAS)


SCHEMAS: dict[str, str] = {
    "acme": "Acme Corp",
    "globex": "Globex Corporation",
    "initech": "Initech",
}

USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "alice",
        "alice-demo",
        {"acme": "admin", "globex": "viewer"},
        note="admin of acme (edits in the admin), viewer of globex (reads only)",
    ),
    DemoUser("bob", "bob-demo", {"globex": "editor"}, note="editor of one schema"),
    DemoUser(
        "admin",
        "admin-demo",
        is_staff=True,
        is_superuser=True,
        note="superuser: every schema",
    ),
)

# schema -> client -> project -> (owner, status, days until due, {task title: (done, assignees)})
ROWS: dict[str, dict[str, dict[str, tuple[str, str, int, dict[str, tuple[bool, list[str]]]]]]] = {
    "acme": {
        "Road Runner Logistics": {
            "Rocket skates": (
                "alice",
                Project.Status.ACTIVE,
                14,
                {
                    "Order the rockets": (True, ["alice"]),
                    "Test on a flat road": (False, ["alice"]),
                    "Write the safety notice": (False, []),
                },
            ),
            "Giant magnet": ("alice", Project.Status.PLANNED, 45, {"Find a supplier": (False, [])}),
        },
        "Coyote & Sons": {
            "Catalogue relaunch": (
                "alice",
                Project.Status.DONE,
                -10,
                {"Print the catalogue": (True, ["alice"])},
            ),
        },
    },
    "globex": {
        "Springfield Power": {
            "Monorail study": (
                "bob",
                Project.Status.ACTIVE,
                30,
                {
                    "Survey the route": (False, ["bob"]),
                    "Cost estimate": (False, ["alice", "bob"]),
                },
            ),
        },
        "Cypress Creek": {
            "Hammock district": (
                "alice",
                Project.Status.PLANNED,
                60,
                {"Choose the hammocks": (False, ["alice"])},
            ),
            "Staff onboarding": (
                "bob",
                Project.Status.ACTIVE,
                7,
                {"Welcome pack": (True, ["bob"])},
            ),
        },
    },
    "initech": {
        "Initrode": {
            "TPS reports": (
                "admin",
                Project.Status.ACTIVE,
                3,
                {"New cover sheets": (False, ["admin"]), "Send the memo": (True, [])},
            ),
        },
        "Chotchkie's": {
            "Flair inventory": (
                "admin",
                Project.Status.PLANNED,
                21,
                {"Count the pieces": (False, [])},
            ),
        },
    },
}


def logins_text() -> str:
    """The logins as printed by ``seed_demo`` and ``rundemo``."""
    width = max(len(u.username) for u in USERS)
    pwidth = max(len(u.password) for u in USERS)
    lines = ["Demo logins (username / password):"]
    for user in USERS:
        schemas = ", ".join(user.schema_names)
        lines.append(
            f"  {user.username:<{width}}  {user.password:<{pwidth}}  schemas: {schemas}"
            f"  ({user.note})"
        )
    return "\n".join(lines)


def _ensure_user(spec: DemoUser) -> Any:
    User = get_user_model()
    user, _created = User.objects.get_or_create(
        username=spec.username, defaults={"email": f"{spec.username}@example.com"}
    )
    changed = (user.is_staff, user.is_superuser, user.is_active) != (
        spec.is_staff,
        spec.is_superuser,
        True,
    )
    user.is_staff, user.is_superuser, user.is_active = spec.is_staff, spec.is_superuser, True
    # Only re-hash when needed: a new hash would log the demo's browsers out at each start.
    if not user.check_password(spec.password):
        user.set_password(spec.password)
        changed = True
    if changed:
        user.save()
    # No global permissions: what a member may do in a schema comes from their role there
    # (SchemaRoleBackend); the admin opens for them where the role says so.
    return user


def _ensure_schema(name: str, display_name: str) -> Any:
    Schema = get_schema_model()
    schema = Schema.objects.filter(name=name).first()
    if schema is None:
        return Schema.objects.create_schema(name, display_name=display_name)
    if not schema.is_active or schema.display_name != display_name:
        schema.is_active, schema.display_name = True, display_name
        schema.save(update_fields=["is_active", "display_name"])
    return schema


def _seed_rows(schema_name: str, users: dict[str, Any]) -> None:
    today = timezone.localdate()
    with schema_context(schema_name):
        if Client.objects.exists():
            return
        for client_name, projects in ROWS[schema_name].items():
            client = Client.objects.create(
                name=client_name, email=f"office@{slugify(client_name)}.example"
            )
            for project_name, (owner, status, due_in, tasks) in projects.items():
                project = Project.objects.create(
                    client=client,
                    name=project_name,
                    owner=users[owner],
                    status=status,
                    due_date=today + datetime.timedelta(days=due_in),
                )
                for title, (done, assignees) in tasks.items():
                    task = Task.objects.create(project=project, title=title, done=done)
                    task.assignees.add(*(users[name] for name in assignees))


@transaction.atomic
def seed() -> dict[str, Any]:
    """Put the demo in place (see the module's docstring); returns the schemas by name."""
    users = {spec.username: _ensure_user(spec) for spec in USERS}
    schemas = {name: _ensure_schema(name, display) for name, display in SCHEMAS.items()}
    for spec in USERS:
        for schema_name, role in spec.memberships.items():
            Membership.objects.update_or_create(
                user=users[spec.username], schema=schemas[schema_name], defaults={"role": role}
            )
    for name in SCHEMAS:
        _seed_rows(name, users)
    return schemas
