"""Forms of closing the loop. No rules here: the services check and name each field they
refuse (``statuses.refusals``), and the form shows it beside that field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from traction.core import csv_reader
from traction.core.forms import Form, Paragraphs
from traction.core.text import validate_one_line

from .deliveries_csv import MAX_BYTES
from .models import Status, WindowKind
from .services.approvals import WAIVE_REASON_MAX
from .services.deliveries import DESCRIPTION_MAX
from .services.statuses import CUSTOMER_REASON_MAX


class DateInput(forms.DateInput):
    input_type = "date"


def priority_label(card: Any) -> str:
    """A priority as people read it: its rank on the priorities page (``card.rank``, set by
    the picker), never its database id; no number when it has no rank."""
    rank = getattr(card, "rank", None)
    number = f"#{rank} " if rank else ""
    return f"{number}{card.get_kind_display()}: {card.text[:80]}"


PRIORITY_HELP = "Search by words of the priority or its #rank."


def offer(field: forms.Field, shown: list[Any]) -> None:
    """A priority picker offers ``shown`` (those chosen, then a page of matches) while its
    queryset, every priority the viewer may see, still validates what is posted: an id
    outside it is refused beside the field."""
    field.widget.choices = [(p.pk, priority_label(p)) for p in shown]


class ProposeForm(Form):
    priority: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        widget=forms.RadioSelect,
        label="Customer priority",
        help_text=PRIORITY_HELP,
        error_messages={
            "required": "Choose the customer priority.",
            "invalid_choice": "Choose one of this program's customer priorities.",
        },
    )
    status = forms.ChoiceField(choices=Status.choices, label="Customer-facing status")
    window_kind = forms.ChoiceField(
        choices=[("", "No window"), *WindowKind.choices],
        required=False,
        label="Window",
        help_text="Planned shows a month, a quarter or a half-year — never a day.",
    )
    window_start = forms.DateField(
        required=False,
        widget=DateInput(),
        label="A day in the window",
        help_text="Any day of the month, quarter or half-year you mean.",
    )
    reason_text = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Reusable reason",
        help_text="Used when the reason below is left empty.",
    )
    customer_reason = forms.CharField(
        required=False,
        max_length=CUSTOMER_REASON_MAX,
        widget=Paragraphs(attrs={"rows": 3}),
        label="Reason for customers",
        help_text="Customers read it as written: no day, no promise words.",
    )

    def __init__(
        self,
        *args: Any,
        priorities: QuerySet[Any],
        shown: list[Any],
        reasons: list[Any],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["priority"].queryset = priorities  # type: ignore[attr-defined]
        offer(self.fields["priority"], shown)
        self.fields["reason_text"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((r.pk, r.title) for r in reasons),
        ]
        self.reasons = {r.pk: r.text for r in reasons}

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        reason = data.get("customer_reason") or ""
        if not reason.strip() and data.get("reason_text"):
            reason = self.reasons.get(data["reason_text"], "")
        return {
            "priority_id": data["priority"].pk,
            "status": data["status"],
            "window_kind": data.get("window_kind") or "",
            "window_start": data.get("window_start"),
            "customer_reason": reason,
        }


class WaiveForm(Form):
    reason = forms.CharField(
        max_length=WAIVE_REASON_MAX,
        widget=Paragraphs(attrs={"rows": 3}),
        label="Why is the account owner's approval waived?",
    )


class DeliveryForm(Form):
    on = forms.DateField(widget=DateInput(), label="Date")
    title = forms.CharField(max_length=200, validators=[validate_one_line])
    description = forms.CharField(
        required=False, max_length=DESCRIPTION_MAX, widget=Paragraphs(attrs={"rows": 3})
    )
    link = forms.CharField(required=False, max_length=500, help_text="Release notes, a ticket…")
    external_id = forms.CharField(
        required=False,
        max_length=120,
        label="External id",
        help_text="The release or ticket id other tools know it by (optional).",
    )
    priorities: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Customer priorities it touches",
        help_text="Planned or not: unplanned work counts too. " + PRIORITY_HELP,
        error_messages={
            "invalid_choice": "A priority chosen is not one of this program's customer priorities.",
            "invalid_pk_value": "“%(pk)s” is not a priority's number.",
        },
    )

    def __init__(self, *args: Any, priorities: QuerySet[Any], shown: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["priorities"].queryset = priorities  # type: ignore[attr-defined]
        offer(self.fields["priorities"], shown)


class CsvForm(Form):
    file = forms.FileField(
        label="CSV file or Excel workbook",
        help_text=f"Columns date, title and optionally description, link, external_id, "
        f"priorities; at most {MAX_BYTES // (1024 * 1024)} MB and "
        f"{csv_reader.row_cap('deliveries'):,} rows. A CSV file, or an Excel workbook "
        "(.xlsx): its first sheet with data is read.",
        widget=forms.FileInput(attrs={"accept": csv_reader.ACCEPT}),
    )


class ReasonTextForm(Form):
    title = forms.CharField(max_length=120, validators=[validate_one_line])
    text = forms.CharField(max_length=CUSTOMER_REASON_MAX, widget=Paragraphs(attrs={"rows": 3}))
