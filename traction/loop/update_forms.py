"""Forms of the update pages. No rules here: the services refuse, naming the field, and the
form shows it beside that field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from traction.core import dates
from traction.core.forms import Form, Paragraphs
from traction.core.guard import whole_number

from .models import UpdateAudience, UpdateKind
from .services.approvals import CHANGES_REASON_MAX, WAIVE_REASON_MAX
from .services.updates import BODY_MAX, SUBJECT_MAX


class ComposeForm(Form):
    audience = forms.ChoiceField(
        choices=UpdateAudience.choices, label="Who it is for", widget=forms.RadioSelect
    )
    customer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        widget=forms.RadioSelect,
        label="Customer organisation",
        help_text="Search by words of its name.",
        error_messages={"invalid_choice": "Choose one of the workspace's organisations."},
    )
    session = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Session")
    kind = forms.ChoiceField(choices=UpdateKind.choices, label="Kind of update")
    delivery = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Delivery (for “a delivery touched your priorities”)",
    )
    priority = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Priority at risk (for a change of plan)",
    )

    def __init__(
        self,
        *args: Any,
        customers: QuerySet[Any],
        shown: list[Any],
        sessions: list[Any],
        deliveries: list[Any],
        risks: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Every organisation of the workspace validates; the picker offers the chosen one and
        # a page of matches (update_selectors.customer_picker).
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["customer"].widget.choices = [("", "—"), *((c.pk, c.name) for c in shown)]
        self.fields["session"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((s.pk, f"{s.title} ({dates.short(s.local_start)})") for s in sessions),
        ]
        self.fields["delivery"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((d.pk, f"{dates.short(d.on)} {d.title}") for d in deliveries),
        ]
        self.fields["priority"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((r.priority_id, r.priority.text[:70]) for r in risks),
        ]


class EditForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(max_length=SUBJECT_MAX, label="Subject")
    body = forms.CharField(
        max_length=BODY_MAX,
        widget=Paragraphs(attrs={"rows": 18}),
        label="Text",
        strip=False,
    )
    left_out = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Leave out",
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick a person to leave them out of this update.",
    )
    # The contacts the form shows (a page of the recipients): saving changes who of them is
    # left out, and keeps everyone else as they were.
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["left_out"].choices = [(c.contact.pk, c.contact.name) for c in people]  # type: ignore[attr-defined]
        if not self.is_bound:
            self.fields["shown"].initial = " ".join(str(c.contact.pk) for c in people)


def shown_ids(data: Any) -> set[int] | None:
    """The contact ids a posted edit form showed (None: the form said nothing of them)."""
    raw = data.get("shown")
    if raw is None:
        return None
    return {i for i in (whole_number(x) for x in str(raw).split()) if i is not None}


class VersionForm(Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ChangesForm(Form):
    reason = forms.CharField(
        max_length=CHANGES_REASON_MAX,
        widget=Paragraphs(attrs={"rows": 3}),
        label="What should change",
        error_messages={"required": "Say what should change."},
    )


class WaiveUpdateForm(Form):
    reason = forms.CharField(
        max_length=WAIVE_REASON_MAX,
        widget=Paragraphs(attrs={"rows": 3}),
        label="Why the approval is waived",
    )
