"""The communication plan's form: parsing only (the service checks the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from traction.customers.models import Customer

from .plan import PlanRow


class PlanForm(forms.Form):
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
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything the team should know: channels, sensitivities, agreed dates.",
    )

    def __init__(
        self,
        *args: Any,
        rows: list[PlanRow],
        members: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.customers: list[tuple[str, Customer]] = []
        for row in rows:
            owner = row.customer.account_owner
            default = (
                f"Its account owner ({owner.full_name})"
                if owner
                else "Its account owner (none yet)"
            )
            name = f"teller_{row.customer.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=f"Who tells {row.customer.name}",
                required=False,
                choices=[("", default), *[(str(pk), label) for pk, label in members]],
                coerce=int,
                empty_value=None,
            )
            self.customers.append((name, row.customer))

    def teller_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _ in self.customers]

    def tellers(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(name) for name, c in self.customers}
