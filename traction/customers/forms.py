"""Web forms for customers and contacts: parsing only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from traction.accounts.models import User
from traction.core.forms import Form, Paragraphs
from traction.core.forms import VersionField as VersionField  # where other apps find it
from traction.core.offering import Offered
from traction.core.text import QUERY_MAX, validate_one_line

from .models import Cadence, Channel, Segment, Size
from .services import NOTES_MAX

# Services name model fields; the forms name what people choose.
CUSTOMER_FIELD_MAP = {"account_owner_id": "account_owner"}


class MemberChoiceField(forms.ModelChoiceField["User"]):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


class CustomerFilterForm(Form):
    q = forms.CharField(
        required=False,
        max_length=QUERY_MAX,
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": "Name, region or notes"}),
    )
    segment = forms.ChoiceField(required=False, choices=[("", "Any segment"), *Segment.choices])
    owner = MemberChoiceField(
        required=False,
        queryset=User.objects.none(),
        empty_label="Any account owner",
        label="Account owner",
    )

    def __init__(
        self, *args: Any, owners: QuerySet[User], find: Offered[User], **kwargs: Any
    ) -> None:
        """``owners``: whom the Account owner filter may name (every member); ``find``: the
        options it offers (the first by name, of those typed, and the chosen one:
        accounts.selectors.offered_members)."""
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = owners  # type: ignore[attr-defined]
        owner.widget.choices = [
            ("", owner.empty_label),  # type: ignore[attr-defined]
            *((u.pk, u.full_name or u.email) for u in find.rows),
        ]
        if find.more:
            owner.help_text = (
                f"Only the first {find.limit} members by name"
                + (f" whose name or email address holds “{find.typed}”" if find.typed else "")
                + " are listed: type part of a name or email address in “Find an account"
                " owner” to narrow this list."
            )
        elif find.typed and not find.rows:
            owner.help_text = f"No member's name or email address holds “{find.typed}”."
        elif find.typed:
            owner.help_text = (
                f"Listed: the members whose name or email address holds “{find.typed}”."
            )


class CustomerForm(Form):
    name = forms.CharField(
        max_length=160,
        validators=[validate_one_line],
        help_text="The organisation's name as people know it.",
    )
    segment = forms.ChoiceField(choices=Segment.choices)
    size = forms.ChoiceField(required=False, choices=[("", "Unknown"), *Size.choices])
    region = forms.CharField(
        required=False, max_length=80, help_text='Where they mainly operate, e.g. "EMEA".'
    )
    account_owner = MemberChoiceField(
        required=False,
        queryset=User.objects.none(),
        empty_label="Nobody yet",
        help_text="The gatekeeper: outreach to this customer's contacts needs their approval.",
    )
    notes = forms.CharField(
        required=False, max_length=NOTES_MAX, widget=Paragraphs(attrs={"rows": 4})
    )
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        owners: QuerySet[User],
        shown: list[User],
        can_reassign_owner: bool = True,
        **kwargs: Any,
    ) -> None:
        """``owners``: whom a posted owner may be (every member); ``shown``: the options
        offered (the first few and the chosen one: accounts.selectors.offered_members)."""
        super().__init__(*args, **kwargs)
        owner = self.fields["account_owner"]
        owner.queryset = owners  # type: ignore[attr-defined]
        owner.widget.choices = [
            ("", owner.empty_label),  # type: ignore[attr-defined]
            *((u.pk, u.full_name or u.email) for u in shown),
        ]
        if not can_reassign_owner:
            # Shown, not editable: a disabled field keeps its initial value.
            owner.disabled = True
            owner.help_text = "Only a facilitator or admin can reassign the account owner."

    def service_values(self) -> dict[str, Any]:
        """The cleaned input under the service's argument names."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        owner = data.pop("account_owner")
        data["account_owner_id"] = owner.pk if owner else None
        return data


class ContactForm(Form):
    name = forms.CharField(max_length=150, validators=[validate_one_line])
    email = forms.EmailField()
    title = forms.CharField(
        required=False, max_length=120, label="Job title", validators=[validate_one_line]
    )
    consent_to_contact = forms.BooleanField(
        required=False,
        label="This person agreed to be contacted",
        help_text="Record consent only when they gave it. We keep the date it changed.",
    )
    preferred_channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    update_cadence = forms.ChoiceField(
        choices=Cadence.choices,
        initial=Cadence.AS_NEEDED,
        label="How often they want updates",
    )
    communication_notes = forms.CharField(
        required=False,
        max_length=300,
        label="Communication notes",
        help_text="Anything to keep in mind when writing to them.",
    )
    version = VersionField()

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class DeleteForm(Form):
    reason = forms.CharField(
        required=False, max_length=300, help_text="Optional; kept in the audit log."
    )


class EraseForm(Form):
    reason = forms.CharField(
        max_length=300,
        help_text="Why, e.g. “The person asked us to erase their data”. Kept in the audit log.",
    )
