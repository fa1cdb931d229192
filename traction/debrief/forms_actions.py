"""Web forms of the actions area: parsing only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from traction.accounts.models import User
from traction.core import clock
from traction.core.forms import Form
from traction.customers.forms import MemberChoiceField, VersionField
from traction.programs.forms import DateInput, MembersField

from .forms_scorecards import ServiceChecked
from .merging import OpenedField
from .models import ActionStatus, Recommendation
from .services.actions import NOTE_MAX, REASON_MAX

FIELD_MAP = {"owner_id": "owner", "contributor_ids": "contributors"}


class ActionForm(Form):
    """A new action item (the room's "Add action item")."""

    recommendation = forms.ModelChoiceField(
        queryset=Recommendation.objects.none(),
        label="For the approved recommendation",
        empty_label=None,
    )
    title = forms.CharField(max_length=200, label="What is to be done")
    owner = MemberChoiceField(
        queryset=User.objects.none(),
        label="Owner",
        empty_label="Choose the owner",
        help_text="The one person accountable for it.",
    )
    contributors = MembersField(queryset=User.objects.none(), required=False)
    planned_start = forms.DateField(required=False, widget=DateInput())
    due_on = forms.DateField(label="Due date", widget=DateInput())

    def __init__(
        self,
        *args: Any,
        recommendations: list[Recommendation],
        candidates: QuerySet[User],
        shown: list[User],
        **kwargs: Any,
    ) -> None:
        """``candidates``: whom a posted owner or tick may name; ``shown``: the members both
        lists offer (the chosen owner, those ticked and the first others by name:
        accounts.selectors.offered_members)."""
        super().__init__(*args, **kwargs)
        rec_field = self.fields["recommendation"]
        assert isinstance(rec_field, forms.ModelChoiceField)
        rec_field.queryset = Recommendation.objects.filter(pk__in=[r.pk for r in recommendations])
        # The choices are the rows already read, listed once: the querysets only check what
        # comes back (rendering a model choice field runs its query each time it is drawn).
        rec_field.choices = [(r.pk, rec_field.label_from_instance(r)) for r in recommendations]
        for name in ("owner", "contributors"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = candidates
            empty = [] if field.empty_label is None else [("", field.empty_label)]
            field.choices = empty + [(u.pk, field.label_from_instance(u)) for u in shown]

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "recommendation": data["recommendation"],
            "title": data["title"],
            "owner_id": data["owner"].pk,
            "contributor_ids": [u.pk for u in data["contributors"]],
            "planned_start": data["planned_start"],
            "due_on": data["due_on"],
        }


class EditForm(Form):
    """Change an action: title, owner, contributors, dates; a note says why. (Customers never
    see action items: the stored ``customer_visible`` flag is not offered, see docs/debrief.md.)"""

    title = forms.CharField(max_length=200)
    # An action always has its owner: no empty choice to pick.
    owner = MemberChoiceField(queryset=User.objects.none(), label="Owner", empty_label=None)
    contributors = MembersField(queryset=User.objects.none(), required=False)
    planned_start = forms.DateField(required=False, widget=DateInput())
    due_on = forms.DateField(label="Due date", widget=DateInput())
    note = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        label="Note for the timeline",
        help_text="Why the new date or owner (shown on the action's timeline).",
    )
    version = VersionField()
    opened = OpenedField()

    def __init__(
        self,
        *args: Any,
        candidates: QuerySet[User],
        shown: list[User],
        ownerless: bool = False,
        **kwargs: Any,
    ) -> None:
        """``candidates``: whom a posted owner or tick may name; ``shown``: the members both
        lists offer (the owner and contributors, as saved and as typed, and the first others
        by name: accounts.selectors.offered_members). ``ownerless``: its owner left, so the
        owner list starts on an empty "Choose…" (nobody is given it by accident) and an
        empty choice is refused beside it."""
        super().__init__(*args, **kwargs)
        for name in ("owner", "contributors"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = candidates
            field.choices = [(u.pk, field.label_from_instance(u)) for u in shown]
        if ownerless:
            owner = self.fields["owner"]
            assert isinstance(owner, forms.ModelChoiceField)
            owner.label = "New owner"
            owner.choices = [("", "Choose…")] + [
                (u.pk, owner.label_from_instance(u)) for u in shown
            ]
            owner.error_messages["required"] = "Choose the one person accountable for it."

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "owner_id": data["owner"].pk,
            "contributor_ids": [u.pk for u in data["contributors"]],
            "planned_start": data["planned_start"],
            "due_on": data["due_on"],
        }


class StatusForm(Form):
    """Move the action along: every change carries a short dated note."""

    # The note and the reason are checked by the service (``change_status``), all at once and
    # in the API's words; the browser is only told their length.
    status = forms.ChoiceField(
        choices=ActionStatus.choices,
        label="Status",
        help_text="Keep it as it is to add a progress note alone.",
    )
    # Required, marked so, and named when missing by the service with the reason.
    note = ServiceChecked(
        label="Progress note",
        help_text="A line on what happened.",
        widget=forms.TextInput(attrs={"maxlength": NOTE_MAX}),
    )
    reason = forms.CharField(
        required=False,
        label="Reason",
        help_text="Required when blocked or dropped: what stops it, or why it is dropped.",
        widget=forms.TextInput(attrs={"maxlength": REASON_MAX}),
    )
    version = VersionField()


class ReviewForm(Form):
    """The room's review of an earlier action: keep it, give it a new date, or drop it."""

    decision = forms.ChoiceField(
        choices=[("keep", "Keep"), ("redate", "Re-date"), ("drop", "Drop")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(max_length=NOTE_MAX, required=False, label="Note")
    due_on = forms.DateField(required=False, label="New due date", widget=DateInput())
    reason = forms.CharField(max_length=REASON_MAX, required=False, label="Reason to drop")
    version = VersionField()

    def clean(self) -> dict[str, Any]:
        """What the chosen decision needs, all in one pass: a note to keep it; a new due
        date (not in the past) and a note to re-date it; a reason to drop it. The services
        check the date again."""
        data = super().clean() or {}
        decision = data.get("decision")
        note = (data.get("note") or "").strip()
        missing: dict[str, str] = {}
        if decision == "keep" and not note:
            missing["note"] = "Say why it stays as it is."
        elif decision == "redate":
            due_on = data.get("due_on")
            if due_on is None:
                missing["due_on"] = "Give the new due date."
            elif due_on < clock.today():
                missing["due_on"] = "The due date is in the past: choose a later one."
            if not note:
                missing["note"] = "Say why it needs a new date."
        elif decision == "drop" and not (data.get("reason") or "").strip():
            missing["reason"] = "Say why it is dropped."
        for name, message in missing.items():
            if name not in self.errors:
                self.add_error(name, message)
        return data
