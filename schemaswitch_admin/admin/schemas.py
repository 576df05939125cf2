"""Admin for schemas and memberships.

Creating a schema clones the template; "deleting" one only deactivates it (its data stays);
dropping its data is a separate page that asks for the schema's name, because nothing brings
the data back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..models import Membership
from .bases import ModelAdmin, TabularInline
from .forms import AddMembersForm, DropSchemaForm, RemoveMembersForm
from .members import OwnerScopedMembershipMixin


class MembershipInline(TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "created_at", "last_used_at"]
    readonly_fields = ["created_at", "last_used_at"]


def correlated_member_count() -> Coalesce:
    """Members of each schema as a subquery per row: PostgreSQL runs it for the rows of the
    page only, and Django's counts of the list leave it out."""
    members = (
        Membership.objects.filter(schema=OuterRef("pk"))
        .order_by()
        .values("schema")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(members), Value(0))


class SchemaChangeList(ChangeList):
    """The schema list with its member counts, built for 10,000 schemas.

    ``Count("memberships")`` would make every count of the list (filtered and full) and the
    page itself ``GROUP BY`` all the schemas; the correlated count runs for the page's rows
    only. A list sorted by the member count needs every schema's count, once: there the
    aggregate is the fast one (a correlated count per schema would take most of a second
    over 10,000 schemas), and only that list pays for it in its counts.
    """

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        members = Count("memberships") if self._sorted_by_members() else correlated_member_count()
        root = self.root_queryset
        # The full count (``root_queryset.count()``) stays a plain count of the schemas.
        self.root_queryset = root.annotate(member_count=members)
        try:
            return super().get_queryset(request, exclude_parameters)
        finally:
            self.root_queryset = root

    def _sorted_by_members(self) -> bool:
        columns = self.get_ordering_field_columns()
        return any(
            0 <= index < len(self.list_display)
            and self.get_ordering_field(self.list_display[index]) == "member_count"
            for index in columns
        )


class SchemaAdmin(ModelAdmin):
    list_display = ["name", "display_name", "is_active", "member_count", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "display_name"]
    ordering = ["name"]
    inlines = [MembershipInline]
    actions = ["deactivate_schemas", "activate_schemas", "add_members", "remove_members"]
    change_form_template = "schemaswitch_admin/admin/schema_change_form.html"
    drop_confirmation_template = "schemaswitch_admin/admin/drop_confirmation.html"
    members_action_template = "schemaswitch_admin/admin/members_action.html"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return SchemaChangeList

    @admin.display(description=gettext_lazy("members"), ordering="member_count")
    def member_count(self, obj: Any) -> int:
        count: int = obj.member_count  # annotated by get_queryset
        return count

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A schema is renamed by nobody: the name is the PostgreSQL schema's, used in
        # sessions, logs and links.
        if obj is not None:
            return ["name", "created_at"]
        return []

    # -- creating: a clone of the template ------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.save()
            return
        opts = obj._meta
        fields = {
            f.name: getattr(obj, f.name)
            for f in opts.concrete_fields
            if f.editable and not f.primary_key and f.name not in {"name", "display_name"}
        }
        created = type(obj)._default_manager.create_schema(
            obj.name, display_name=obj.display_name, **fields
        )
        # The admin goes on with the instance its form built (to log it and redirect), so it
        # takes over the saved row's state.
        for field in opts.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db

    # -- deleting is deactivating; dropping is its own page -----------------------------

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Django's delete pages would claim data is gone when it is not (``delete()``
        deactivates), so they are off; see ``deactivate_schemas`` and the drop page."""
        return False

    def has_drop_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        opts = self.opts
        codename = get_permission_codename("delete", opts)
        return request.user.has_perm(f"{opts.app_label}.{codename}")

    def has_add_members_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(
            f"{Membership._meta.app_label}.{get_permission_codename('add', Membership._meta)}"
        )

    def has_remove_members_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(
            f"{Membership._meta.app_label}."
            f"{get_permission_codename('delete', Membership._meta)}"
        )

    def get_urls(self) -> list[Any]:
        opts = self.opts
        return [
            path(
                "<path:object_id>/drop/",
                self.admin_site.admin_view(self.drop_view),
                name=f"{opts.app_label}_{opts.model_name}_drop",
            ),
            *super().get_urls(),
        ]

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        context["has_drop_permission"] = self.has_drop_permission(request, kwargs.get("obj"))
        return super().render_change_form(request, context, *args, **kwargs)

    def drop_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            # Django's private helper, as its own change_view uses it.
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined,no-any-return]
        if not self.has_drop_permission(request, obj):
            raise PermissionDenied
        form = DropSchemaForm(
            request.POST if request.method == "POST" else None, schema_name=obj.name
        )
        if form.is_valid():
            name = str(obj)
            with transaction.atomic(using=obj._state.db):
                self.log_deletions(request, [obj])  # type: ignore[arg-type]  # iterated only
                obj.drop()
            self.message_user(
                request,
                _("The schema “%(name)s” and all its data were dropped.") % {"name": name},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse(
                    f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}"
                    "_changelist",
                    current_app=self.admin_site.name,
                )
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Drop schema “%(name)s”") % {"name": obj},
            "subtitle": None,
            "opts": self.opts,
            "object": obj,
            "form": form,
            "member_count": obj.memberships.count(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.drop_confirmation_template, context)

    # -- actions ------------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Deactivate selected schemas"), permissions=["change"])
    def deactivate_schemas(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description=gettext_lazy("Activate selected schemas"), permissions=["change"])
    def activate_schemas(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_active(request, queryset, True)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Any], active: bool) -> None:
        changed = list(queryset.exclude(is_active=active))
        for schema in changed:
            schema.is_active = active
            schema.save(update_fields=["is_active"])
            self.log_change(request, schema, [{"changed": {"fields": ["is_active"]}}])
        if active:
            message = ngettext(
                "%(count)d schema was activated.", "%(count)d schemas were activated.", len(changed)
            )
        else:
            message = ngettext(
                "%(count)d schema was deactivated; its data is kept.",
                "%(count)d schemas were deactivated; their data is kept.",
                len(changed),
            )
        self.message_user(request, message % {"count": len(changed)}, messages.SUCCESS)

    @admin.action(
        description=gettext_lazy("Add members to selected schemas…"), permissions=["add_members"]
    )
    def add_members(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        form = AddMembersForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            role = form.cleaned_data["role"]
            users = list(form.cleaned_data["users"])
            schemas = list(queryset)
            existing = set(
                Membership.objects.filter(schema__in=schemas, user__in=users).values_list(
                    "schema_id", "user_id"
                )
            )
            new = [
                Membership(schema=schema, user=user, role=role)
                for schema in schemas
                for user in users
                if (schema.pk, user.pk) not in existing
            ]
            Membership.objects.bulk_create(new)
            self._log_members(request, new, _("Added member %(user)s with role %(role)s."))
            self.message_user(
                request,
                ngettext(
                    "%(count)d membership was added.", "%(count)d memberships were added.", len(new)
                )
                % {"count": len(new)},
                messages.SUCCESS,
            )
            return None
        return self._members_page(request, queryset, form, "add_members", _("Add members"))

    @admin.action(
        description=gettext_lazy("Remove members from selected schemas…"),
        permissions=["remove_members"],
    )
    def remove_members(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        schema_ids = [schema.pk for schema in queryset]
        form = RemoveMembersForm(
            request.POST if "apply" in request.POST else None, schema_ids=schema_ids
        )
        if form.is_valid():
            going = Membership.objects.filter(
                schema_id__in=schema_ids, user__in=form.cleaned_data["users"]
            ).select_related("user", "schema")
            self._log_members(request, list(going), _("Removed member %(user)s (role %(role)s)."))
            removed, _by_model = going.delete()
            self.message_user(
                request,
                ngettext(
                    "%(count)d membership was removed.",
                    "%(count)d memberships were removed.",
                    removed,
                )
                % {"count": removed},
                messages.SUCCESS,
            )
            return None
        return self._members_page(request, queryset, form, "remove_members", _("Remove members"))

    def _log_members(self, request: HttpRequest, memberships: list[Any], message: str) -> None:
        """Membership changes go to each schema's own history (who gave whom which role)."""
        for membership in memberships:
            self.log_change(
                request,
                membership.schema,
                message % {"user": membership.user, "role": membership.role},
            )

    def _members_page(
        self, request: HttpRequest, queryset: QuerySet[Any], form: Any, action: str, title: str
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "queryset": queryset,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist",
                current_app=self.admin_site.name,
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.members_action_template, context)


class MembershipAdmin(OwnerScopedMembershipMixin, ModelAdmin):
    list_display = ["user", "schema", "role", "created_at", "last_used_at"]
    list_filter = ["role", "schema__is_active"]
    raw_id_fields = ["user", "schema"]
    list_select_related = ["user", "schema"]
    readonly_fields = ["created_at", "last_used_at"]

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        username = get_user_model().USERNAME_FIELD
        return [f"user__{username}", "schema__name", "schema__display_name"]
