"""``create_schema NAME``: a new schema cloned from the template, with its first members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _

from ...commandutils import checked_name, refuse_existing
from ...models import Membership
from ...roles import default_role, defined_roles
from ...schema_model import get_schema_model


def users_by_name(usernames: list[str], using: str) -> dict[str, Any]:
    """The users named ``usernames`` (by ``USERNAME_FIELD``); ``CommandError`` naming every
    unknown one, so nothing is created for a typo."""
    User = get_user_model()
    field = User.USERNAME_FIELD
    found = {
        getattr(u, field): u
        for u in User._default_manager.db_manager(using).filter(**{f"{field}__in": usernames})
    }
    unknown = sorted(set(usernames) - set(found))
    if unknown:
        raise CommandError(
            _("Unknown user(s), nothing was created: %(names)s.") % {"names": ", ".join(unknown)}
        )
    return found


def parse_members(values: list[str], admins: list[str]) -> dict[str, str]:
    """``USERNAME`` or ``USERNAME:ROLE`` (``--member``) and ``USERNAME`` (``--admin``, the
    ``admin`` role) → ``{username: role}``; a role the settings do not define is refused, so
    nothing is created for a typo. A user named twice keeps the last role given."""
    defined = defined_roles()
    wanted: dict[str, str] = {}
    for value in values:
        username, sep, role = value.rpartition(":") if ":" in value else (value, "", "")
        role = role if sep else default_role()
        if not username:
            raise CommandError(_("--member needs a user name: %(value)r.") % {"value": value})
        wanted[username] = role
    for username in admins:
        wanted[username] = "admin"
    unknown = sorted({role for role in wanted.values() if role not in defined})
    if unknown:
        raise CommandError(
            _("Unknown role(s), nothing was created: %(roles)s (defined: %(defined)s).")
            % {"roles": ", ".join(unknown), "defined": ", ".join(defined)}
        )
    return wanted


def add_members(schema: Any, roles: dict[str, str], users: dict[str, Any], using: str) -> int:
    """Create the memberships, one per user, with the role asked for."""
    Membership.objects.using(using).bulk_create(
        [Membership(user=users[name], schema=schema, role=role) for name, role in roles.items()]
    )
    return len(roles)


class Command(BaseCommand):
    help = (
        "Create a schema (row and PostgreSQL schema, cloned from the template) and, in the "
        "same transaction, its memberships. An unknown user or an existing name creates "
        "nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="PostgreSQL schema name (lowercase, digits, _).")
        parser.add_argument("--display-name", default="", help="Human-readable name.")
        parser.add_argument(
            "--member",
            action="append",
            default=[],
            metavar="USERNAME[:ROLE]",
            help=(
                "Make this user a member, with ROLE (one of SCHEMASWITCH_ROLES; the default "
                "role when omitted). Repeatable."
            ),
        )
        parser.add_argument(
            "--admin",
            action="append",
            default=[],
            metavar="USERNAME",
            help="Same as --member USERNAME:admin (repeatable).",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections), help="Database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        name = checked_name(options["name"])
        refuse_existing(name, using)
        roles = parse_members(options["member"], options["admin"])
        users = users_by_name(list(roles), using) if roles else {}
        try:
            with transaction.atomic(using=using):
                schema = (
                    get_schema_model()
                    .objects.db_manager(using)
                    .create_schema(name, display_name=options["display_name"])
                )
                count = add_members(schema, roles, users, using)
        except Exception as exc:
            if options["traceback"]:
                raise
            raise CommandError(
                _("Schema %(name)r was not created: %(error)s") % {"name": name, "error": exc}
            ) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Created schema %(name)s with %(count)d member(s).")
                    % {"name": name, "count": count}
                )
            )
