"""factory-boy factories for schemas, users and memberships.

``SchemaFactory`` goes through ``Schema.objects.create_schema`` so every schema it makes is a
real PostgreSQL schema cloned from the template, exactly as in production.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from factory.declarations import (
    LazyAttribute,
    LazyFunction,
    PostGenerationMethodCall,
    Sequence,
    SubFactory,
)
from factory.django import DjangoModelFactory
from factory.helpers import post_generation

from ..models import AbstractSchema, Membership
from ..roles import default_role
from ..schema_model import get_schema_model


class SchemaFactory(DjangoModelFactory[AbstractSchema]):
    class Meta:
        model = get_schema_model()
        django_get_or_create = ("name",)

    name = Sequence(lambda n: f"tenant_{n}")
    display_name = LazyAttribute(lambda o: o.name.replace("_", " ").title())
    is_active = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        manager = cls._get_manager(model_class)
        return manager.create_schema(**kwargs)


class UserFactory(DjangoModelFactory[AbstractBaseUser]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = Sequence(lambda n: f"user{n}")
    email = LazyAttribute(lambda o: f"{o.username}@example.com")
    is_active = True
    password = PostGenerationMethodCall("set_password", "password")

    @post_generation
    def saved(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save()


class SuperUserFactory(UserFactory):
    username = Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership
        django_get_or_create = ("user", "schema")

    user = SubFactory(UserFactory)
    schema = SubFactory(SchemaFactory)
    role = LazyFunction(default_role)
