"""Web forms for programs and their team: parsing only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from traction.accounts.models import User
from traction.core.forms import Form, Paragraphs
from traction.core.text import QUERY_MAX, validate_one_line
from traction.customers.forms import MemberChoiceField, VersionField

from .models import ProgramStatus
from .services import GOAL_MAX

PROGRAM_FIELD_MAP = {
    "executive_sponsor_id": "executive_sponsor",
    "core_team_ids": "core_team",
}


class MembersField(forms.ModelMultipleChoiceField["User"]):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class ProgramFilterForm(Form):
    q = forms.CharField(
        required=False,
        max_length=QUERY_MAX,
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": "Name or goal"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ProgramStatus.choices])


class ProgramForm(Form):
    name = forms.CharField(
        max_length=160,
        validators=[validate_one_line],
        help_text='A short name, e.g. "Effortless onboarding".',
    )
    goal = forms.CharField(
        max_length=GOAL_MAX,
        widget=Paragraphs(attrs={"rows": 3}),
        help_text="The outcome this program is after, in one or two sentences.",
    )
    executive_sponsor = MemberChoiceField(
        required=False,
        queryset=User.objects.none(),
        empty_label="Not chosen yet",
        help_text="The executive who backs the program and decides its recommendations.",
    )
    status = forms.ChoiceField(choices=ProgramStatus.choices, initial=ProgramStatus.PLANNING)
    results_window_start = forms.DateField(
        required=False,
        widget=DateInput(),
        label="Results expected from",
        help_text="Measurable results usually show 3 to 12 months after the sessions.",
    )
    results_window_end = forms.DateField(
        required=False, widget=DateInput(), label="Results expected by"
    )
    core_team = MembersField(
        required=False,
        queryset=User.objects.none(),
        help_text="The cross-functional team who take part and own the actions.",
    )
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        members: QuerySet[User],
        sponsors: QuerySet[User],
        shown_sponsors: list[User],
        shown_members: list[User] | None = None,
        with_team: bool = True,
        **kwargs: Any,
    ) -> None:
        """``sponsors``, ``members``: whom a posted value may name; ``shown_*``: the options
        offered (those chosen and the first others: accounts.selectors.offered_members)."""
        super().__init__(*args, **kwargs)
        sponsor = self.fields["executive_sponsor"]
        sponsor.queryset = sponsors  # type: ignore[attr-defined]
        sponsor.widget.choices = [
            ("", sponsor.empty_label),  # type: ignore[attr-defined]
            *((u.pk, u.full_name or u.email) for u in shown_sponsors),
        ]
        if with_team:
            team = self.fields["core_team"]
            team.queryset = members  # type: ignore[attr-defined]
            team.widget.choices = [(u.pk, u.full_name or u.email) for u in shown_members or []]
        else:
            # The team has its own page once the program exists.
            del self.fields["core_team"]

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        sponsor = data.pop("executive_sponsor")
        data["executive_sponsor_id"] = sponsor.pk if sponsor else None
        if "core_team" in data:
            data["core_team_ids"] = [u.pk for u in data.pop("core_team")]
        return data


class TeamForm(Form):
    core_team = MembersField(
        required=False,
        queryset=User.objects.none(),
        help_text="Take part in sessions and debriefs, and own action items.",
    )
    observers = MembersField(
        required=False,
        queryset=User.objects.none(),
        help_text="Read the program; change nothing.",
    )

    def __init__(
        self, *args: Any, members: QuerySet[User], shown: list[User], **kwargs: Any
    ) -> None:
        """``members``: whom a posted tick may name (every member); ``shown``: the members
        both lists offer (those ticked and the first others: accounts.selectors.offered_members)."""
        super().__init__(*args, **kwargs)
        for name in ("core_team", "observers"):
            field = self.fields[name]
            field.queryset = members  # type: ignore[attr-defined]
            field.widget.choices = [(u.pk, u.full_name or u.email) for u in shown]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        both = set(data.get("core_team") or []) & set(data.get("observers") or [])
        if both:
            # The two lists are set one after the other; a person in both would be ambiguous.
            names = ", ".join(sorted(u.full_name or u.email for u in both))
            self.add_error("observers", f"Choose core team or observer, not both, for: {names}.")
        return data


class PolicyMakerForm(Form):
    user = MemberChoiceField(
        queryset=User.objects.none(),
        label="Member",
        empty_label="Choose a member",
        help_text="Someone whose budget or team the decisions touch.",
    )
    responsibility = forms.CharField(
        required=False,
        max_length=160,
        validators=[validate_one_line],
        help_text='What their decisions speak for, e.g. "Support budget". Optional.',
    )

    def __init__(
        self, *args: Any, members: QuerySet[User], shown: list[User], **kwargs: Any
    ) -> None:
        """``members``: whom a posted value may name (every member); ``shown``: the options
        offered (the first few and the chosen one: accounts.selectors.offered_members)."""
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.queryset = members  # type: ignore[attr-defined]
        field.widget.choices = [
            ("", field.empty_label),  # type: ignore[attr-defined]
            *((u.pk, u.full_name or u.email) for u in shown),
        ]


POLICY_MAKER_FIELD_MAP = {"user_id": "user"}
