"""Which shared objects a private model's admin may offer: a tenant's staff choose among the
schema's members, not among every user of every tenant.

``SchemaAwareAdminMixin`` limits the choices of foreign keys and many-to-many fields (selects,
filtered selects, radio buttons) pointing at a member-limited model: the user model by default
(``SCHEMASWITCH_MEMBER_LIMITED_MODELS``). Autocomplete lists are served by the *target*
model's admin, so that admin needs ``MemberChoicesAutocompleteMixin`` (check
``schemaswitch_admin.W102`` says where). Other shared models get the same treatment by
overriding ``limit_shared_choices`` in the private model's admin.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from .. import conf
from ..sharing import is_shared_model
from ..state import get_active_schema


def member_limited_labels() -> set[str]:
    labels = getattr(settings, "SCHEMASWITCH_MEMBER_LIMITED_MODELS", None)
    if labels is None:
        labels = [settings.AUTH_USER_MODEL]
    return {str(label).lower() for label in labels}


def is_member_limited(model: Any) -> bool:
    return model is not None and model._meta.label_lower in member_limited_labels()


def members_of_active_schema(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` (of the user model) less the users who are not members of the active
    schema; nobody with no schema active. Superusers who are not members are listed only
    with ``SCHEMASWITCH_MEMBER_CHOICES_SUPERUSERS``."""
    schema = get_active_schema()
    if schema is None:
        return queryset.none()
    members = Q(schema_memberships__schema__name=schema)
    if conf.member_choices_include_superusers():
        members |= Q(is_superuser=True)
    return queryset.filter(
        pk__in=get_user_model()._default_manager.filter(members).values("pk")
    )


def limit_to_members(queryset: QuerySet[Any]) -> QuerySet[Any]:
    if queryset.model is get_user_model():
        return members_of_active_schema(queryset)
    return queryset


class MemberChoicesMixin:
    """The choices part of ``SchemaAwareAdminMixin``; mix it into the inlines
    (``TabularInline``/``StackedInline``) of private models too."""

    def limit_shared_choices(self, request: HttpRequest, db_field: Any, queryset: Any) -> Any:
        """The choices a field pointing at a shared model offers in the active schema.
        Users (``SCHEMASWITCH_MEMBER_LIMITED_MODELS``) are limited to the schema's members;
        override to limit other shared models."""
        if is_member_limited(queryset.model):
            return limit_to_members(queryset)
        return queryset

    def _shared_choices(
        self, request: HttpRequest, db_field: Any, kwargs: dict[str, Any]
    ) -> None:
        target = db_field.remote_field.model
        if not is_shared_model(target):
            return
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(None, db_field, request)  # type: ignore[attr-defined]
        if queryset is None:
            queryset = target._default_manager.using(kwargs.get("using"))
        limited = self.limit_shared_choices(request, db_field, queryset)
        if limited is not queryset or "queryset" in kwargs:
            kwargs["queryset"] = limited

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._shared_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        self._shared_choices(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


SchemaAwareInlineMixin = MemberChoicesMixin


class MemberChoicesAutocompleteMixin:
    """For the admin of a member-limited model (usually the user admin): its autocomplete
    answers for a private model's field list only members of the active schema."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        queryset, distinct = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        if _autocomplete_for_private_model(request):
            queryset = limit_to_members(queryset)
        return queryset, distinct


def _autocomplete_for_private_model(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return False
    try:
        source = apps.get_model(request.GET["app_label"], request.GET["model_name"])
    except (KeyError, LookupError):
        return False
    return not is_shared_model(source)
