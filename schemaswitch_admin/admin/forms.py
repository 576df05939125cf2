"""Forms of the schema admin's intermediate pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ..roles import default_role, role_choices


class AddMembersForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        queryset=get_user_model()._default_manager.none(),
        widget=FilteredSelectMultiple(_("users"), is_stacked=False),
        label=_("Users"),
    )
    role = forms.ChoiceField(choices=role_choices, initial=default_role, label=_("Role"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        User = get_user_model()
        # A ModelMultipleChoiceField; the fields mapping types its values as plain fields.
        self.fields["users"].queryset = User._default_manager.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            User.USERNAME_FIELD
        )


class RemoveMembersForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        queryset=get_user_model()._default_manager.none(),
        widget=FilteredSelectMultiple(_("users"), is_stacked=False),
        label=_("Users"),
    )

    def __init__(self, *args: Any, schema_ids: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self.fields["users"].queryset = (  # type: ignore[attr-defined]  # as above
            User._default_manager.filter(schema_memberships__schema_id__in=schema_ids)
            .distinct()
            .order_by(User.USERNAME_FIELD)
        )


class DropSchemaForm(forms.Form):
    """Dropping is irreversible, so the name must be typed, not just a button pressed."""

    confirm_name = forms.CharField(label=_("Type the schema's name to confirm"), max_length=63)

    def __init__(self, *args: Any, schema_name: str, **kwargs: Any) -> None:
        self.schema_name = schema_name
        super().__init__(*args, **kwargs)

    def clean_confirm_name(self) -> str:
        value: str = self.cleaned_data["confirm_name"].strip()
        if value != self.schema_name:
            raise forms.ValidationError(
                _("This is not the schema's name; nothing was dropped."), code="mismatch"
            )
        return value
