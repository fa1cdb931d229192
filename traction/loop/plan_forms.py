"""The communication plan's form: parsing only (the service checks the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from traction.core.forms import Form, Paragraphs
from traction.customers.models import Customer


class PlanForm(Form):
    cadence_days = forms.IntegerField(
        label="Cadence (days)",
        min_value=1,
        max_value=3650,
        help_text="How often each customer organisation hears from us after a session; "
        "42 days is every six weeks.",
    )
    silence_days = forms.IntegerField(
        label="Silence (days)",
        min_value=1,
        max_value=3650,
        help_text="After this many days without hearing from us, Traction prompts a "
        "re-engagement update.",
    )
    notes = forms.CharField(
        required=False,
        max_length=4000,
        widget=Paragraphs(attrs={"rows": 3}),
        help_text="Anything the team should know: channels, sensitivities, agreed dates.",
    )

    def __init__(
        self,
        *args: Any,
        customers: list[Customer],
        members: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        """``customers``: the organisations whose teller the form sets (a page of them)."""
        super().__init__(*args, **kwargs)
        self.customers: list[tuple[str, Customer]] = []
        for customer in customers:
            owner = customer.account_owner
            default = (
                f"Its account owner ({owner.full_name})"
                if owner
                else "Its account owner (none yet)"
            )
            name = f"teller_{customer.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=f"Who tells {customer.name}",
                required=False,
                choices=[("", default), *[(str(pk), label) for pk, label in members]],
                coerce=int,
                empty_value=None,
            )
            self.customers.append((name, customer))

    def plan_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("cadence_days", "silence_days", "notes")]

    def teller_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _ in self.customers]

    def tellers(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(name) for name, c in self.customers}

    @staticmethod
    def posted_customer_ids(data: Any) -> list[int]:
        """The organisations a posted form set the teller of (its ``teller_<id>`` fields)."""
        return [
            int(key.removeprefix("teller_"))
            for key in data
            if key.startswith("teller_") and key.removeprefix("teller_").isdigit()
        ]


class PlanFilterForm(Form):
    """Finds customer organisations on the plan's edit page by name (a GET form of its
    own, ``plan-filter``, whose field sits among the plan's fields)."""

    q = forms.CharField(
        label="Find an organisation",
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"form": "plan-filter", "placeholder": "Part of its name"}),
    )

    def query(self) -> str:
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""
