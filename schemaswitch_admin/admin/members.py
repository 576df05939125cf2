"""Members managed from inside their schema, by its owners.

A member whose role in the active schema has ``manage_members`` (``owner`` by default) may
invite users to that schema, change their roles and remove them, from the membership admin,
without any global permission: the pages then show and accept only that schema's
memberships. A schema always keeps one owner: the last one can be neither removed nor
demoted from these pages. Every change is also written to the schema's own admin history, so
the Schema's history page tells who gave whom which role.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .. import roles
from ..admin_site import roles_in_use
from ..state import get_active_schema


def managed_schema(request: HttpRequest) -> str | None:
    """The active schema when the user manages its members by role, else ``None``."""
    if not roles_in_use():
        return None
    schema = get_active_schema()
    role = roles.role_in(request.user, schema)
    return schema if role is not None and role.manage_members else None


def _active_users() -> dict[str, bool]:
    """Members whose user can log in (a custom user model may have no ``is_active`` field:
    then every user can, as for Django's ``ModelBackend``)."""
    fields = {f.name for f in get_user_model()._meta.get_fields()}
    return {"user__is_active": True} if "is_active" in fields else {}


def _owners_left(schema_name: str, without: Any) -> bool:
    from ..models import Membership

    owners = roles.roles_with("manage_members")
    # A deactivated owner cannot log in to manage anything: they do not count.
    return (
        Membership.objects.filter(schema__name=schema_name, role__in=owners, **_active_users())
        .exclude(pk=without.pk)
        .exists()
    )


def _removes_every_owner(schema_name: str, memberships: Any) -> bool:
    """Whether deleting ``memberships`` together leaves ``schema_name`` without an owner
    (each one alone may go while another is left, so a per-object check is not enough)."""
    from ..models import Membership

    owners = roles.roles_with("manage_members")
    going = list(memberships)
    if not any(m.role in owners for m in going):
        return False
    return not (
        Membership.objects.filter(schema__name=schema_name, role__in=owners, **_active_users())
        .exclude(pk__in=[m.pk for m in going])
        .exists()
    )


class ScopedMembershipForm(forms.ModelForm):  # type: ignore[type-arg]  # the model comes from the admin's factory
    """The owner's form: a user by user name, and a role; the schema is the active one."""

    def __init__(self, *args: Any, schema_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema_name = schema_name
        User = get_user_model()
        self.fields["user"] = forms.ModelChoiceField(
            queryset=User._default_manager.filter(is_active=True),
            to_field_name=User.USERNAME_FIELD,
            widget=forms.TextInput,
            label=_("User name"),
            error_messages={"invalid_choice": _("No active user has this user name.")},
        )
        if self.instance.pk is not None:
            self.initial["user"] = getattr(self.instance.user, User.USERNAME_FIELD)
            self.fields["user"].disabled = True

    def clean(self) -> dict[str, Any]:
        from ..models import Membership

        cleaned = super().clean() or {}
        user, role = cleaned.get("user"), cleaned.get("role")
        if self.instance.pk is None and user is not None:
            if Membership.objects.filter(schema__name=self.schema_name, user=user).exists():
                raise ValidationError(_("This user is already a member of this schema."))
        was_owner = self.instance.pk is not None and self.instance.role in roles.roles_with(
            "manage_members"
        )
        demoted = role is not None and role not in roles.roles_with("manage_members")
        if was_owner and demoted and not _owners_left(self.schema_name, self.instance):
            raise ValidationError(_("The schema must keep an owner: name another owner first."))
        return cleaned


class OwnerScopedMembershipMixin:
    """Mix into the membership ``ModelAdmin`` (before ``ModelAdmin``)."""

    def _scope(self, request: HttpRequest, global_allowed: bool) -> str | None:
        """The schema this request's user manages, when that (not a global permission) is
        what lets them in."""
        return None if global_allowed else managed_schema(request)

    def is_scoped(self, request: HttpRequest) -> str | None:
        # Decided by the global *change* permission: a global view alone must not switch an
        # owner's management off, nor hand them the unscoped form (schema and user editable).
        return self._scope(request, super().has_change_permission(request))  # type: ignore[misc]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self.is_scoped(request) is not None  # type: ignore[misc]

    def _scoped_allows(self, request: HttpRequest, obj: Any) -> bool:
        scope = self.is_scoped(request)
        return scope is not None and (obj is None or obj.schema.name == scope)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self._scoped_allows(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) or self._scoped_allows(request, None)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) or self._scoped_allows(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().has_delete_permission(request, obj):  # type: ignore[misc]
            return True
        if not self._scoped_allows(request, obj):
            return False
        owners = roles.roles_with("manage_members")
        # The last owner stays: removing them would leave the schema without one.
        return obj is None or obj.role not in owners or _owners_left(obj.schema.name, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """The delete page and the bulk action refuse (as for a missing permission) a
        deletion that would take away every owner at once."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        scope = self.is_scoped(request)
        if scope is not None and _removes_every_owner(scope, objs):
            perms_needed.add(_("the last owner of the schema"))
        return deleted, counts, perms_needed, protected

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        scope = self.is_scoped(request)
        if scope is not None:
            return qs.filter(schema__name=scope)
        if not super().has_view_permission(request):  # type: ignore[misc]
            return qs.none()
        return qs

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)  # type: ignore[misc]
        if self.is_scoped(request) is not None:
            return [name for name in shown if name != "schema"]
        return shown

    def get_list_filter(self, request: HttpRequest) -> Any:
        if self.is_scoped(request) is not None:
            return ["role"]
        return super().get_list_filter(request)  # type: ignore[misc]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self.is_scoped(request) is not None:
            return ["user", "role", *self.get_readonly_fields(request, obj)]  # type: ignore[attr-defined]
        return super().get_fields(request, obj)  # type: ignore[misc]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        scope = self.is_scoped(request)
        if scope is None:
            return super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        kwargs["form"] = ScopedMembershipForm
        kwargs["fields"] = ["user", "role"]
        form_class = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]

        class BoundForm(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, schema_name=scope, **kw)

        return BoundForm

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user" and self.is_scoped(request) is not None:
            # Replaced by the form's user-name field: no raw-id popup into the user list.
            return db_field.formfield(**kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def get_raw_id_fields(self, request: HttpRequest) -> Any:
        if self.is_scoped(request) is not None:
            return []
        return self.raw_id_fields  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        scope = self.is_scoped(request)
        if scope is not None and not change:
            obj.schema = request.schema  # type: ignore[attr-defined]
        if change and "role" in form.changed_data:
            obj._schemaswitch_old_role = form.initial.get("role")
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    # -- the schema's history --------------------------------------------------------

    def _log_on_schema(self, request: HttpRequest, membership: Any, message: str) -> None:
        self.log_change(request, membership.schema, message)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        self._log_on_schema(
            request,
            obj,
            _("Added member %(user)s with role %(role)s.") % {"user": obj.user, "role": obj.role},
        )
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        old = getattr(obj, "_schemaswitch_old_role", None)
        if isinstance(obj, self.model) and old is not None:  # type: ignore[attr-defined]
            self._log_on_schema(
                request,
                obj,
                _("Changed the role of %(user)s from %(old)s to %(new)s.")
                % {"user": obj.user, "old": old, "new": obj.role},
            )
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        removed = list(queryset)
        entries = super().log_deletions(request, queryset)  # type: ignore[misc]
        for membership in removed:
            self._log_on_schema(
                request,
                membership,
                _("Removed member %(user)s (role %(role)s).")
                % {"user": membership.user, "role": membership.role},
            )
        return entries
