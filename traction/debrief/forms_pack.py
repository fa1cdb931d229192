"""Web forms of the pack area: parsing only; the rules live in ``services/closing.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from traction.core.forms import Form, Paragraphs
from traction.voting.selectors import RankedCard

from .models import Attendee
from .services.closing import NOTE_MAX, UNDECIDED_NOTE_MAX, Revisit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def present_name(user_id: int) -> str:
    return f"present_{user_id}"


def revisit_name(insight_id: int) -> str:
    return f"revisit_{insight_id}"


def revisit_note_name(insight_id: int) -> str:
    return f"revisit_note_{insight_id}"


def _addable_label(user: Any) -> str:
    """A member to add, with why they are likely there ("decides", "core team")."""
    role = getattr(user, "role", "")
    return f"{user.full_name or user.email}{f' ({role})' if role else ''}"


class CloseForm(Form):
    """Who attended (one box per person asked, one for whoever opened the room if they were
    not asked, and anyone who came uninvited), the closing note, a revisit date for each top
    priority left undecided, and for a debrief that decided nothing, why."""

    note = forms.CharField(
        label="Closing note",
        max_length=NOTE_MAX,
        required=False,  # the service says what is missing, with every other problem
        widget=Paragraphs(attrs={"rows": 4}),
        help_text="What the debrief decided and what happens next; it opens the pack.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self,
        *args: Any,
        attendees: Sequence[Attendee],
        addable: Sequence[Any],
        undecided: Sequence[RankedCard],
        needs_reason: bool,
        ranked: bool = True,
        opened_by_id: int | None = None,
        acted_ids: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.attendee_rows = list(attendees)
        # Whoever opened the room was there: listed with those asked (checked), not among the
        # uninvited, when they were not asked themselves and are still a member (in addable).
        self.opener = next((u for u in addable if u.pk == opened_by_id), None)
        if self.opener is not None:
            addable = [u for u in addable if u.pk != opened_by_id]
            self.fields[present_name(self.opener.pk)] = forms.BooleanField(
                required=False,
                label=f"{self.opener.full_name or self.opener.email} (opened the room) was present",
                initial=True,
            )
        self.undecided_cards = list(undecided)
        # Whether the session had ranked priorities at all (cards with customers' dots).
        self.ranked = ranked
        for a in self.attendee_rows:
            name = a.user.full_name or a.user.email
            self.fields[present_name(a.user_id)] = forms.BooleanField(
                required=False,
                label=f"{name}{' (policy maker)' if a.is_policy_maker else ''} was present",
                initial=(
                    a.present
                    if a.present is not None
                    else a.response == "accepted" or a.user_id in acted_ids
                ),
            )
        self.fields["extra"] = forms.MultipleChoiceField(
            required=False,
            label="Also present, though not invited",
            help_text=(
                "Workspace members who came without an invitation (the program's deciders "
                "and core team first). Someone who may not see this program's debriefs is "
                "recorded as present but gets no pack."
            ),
            choices=[(u.pk, _addable_label(u)) for u in addable],
            initial=[u.pk for u in addable if u.pk in acted_ids],
            widget=forms.CheckboxSelectMultiple,
        )
        for card in self.undecided_cards:
            self.fields[revisit_name(card.insight_id)] = forms.DateField(
                required=False,
                label=f"Revisit “{card.text[:80]}” on",
                widget=DateInput(),
            )
            self.fields[revisit_note_name(card.insight_id)] = forms.CharField(
                required=False, max_length=UNDECIDED_NOTE_MAX, label="Note (optional)"
            )
        if needs_reason:
            self.fields["empty_reason"] = forms.CharField(
                label="Why was nothing decided?",
                max_length=NOTE_MAX,
                widget=Paragraphs(attrs={"rows": 3}),
                required=False,
                help_text="No recommendation was decided in this debrief; the pack says why.",
            )

    def present_fields(self) -> list[forms.BoundField]:
        opener = [self[present_name(self.opener.pk)]] if self.opener is not None else []
        return opener + [self[present_name(a.user_id)] for a in self.attendee_rows]

    def undecided_fields(self) -> list[tuple[RankedCard, forms.BoundField, forms.BoundField]]:
        return [
            (c, self[revisit_name(c.insight_id)], self[revisit_note_name(c.insight_id)])
            for c in self.undecided_cards
        ]

    def attendance(self) -> dict[int, bool]:
        data = self.cleaned_data
        out = {a.user_id: bool(data.get(present_name(a.user_id))) for a in self.attendee_rows}
        if self.opener is not None and data.get(present_name(self.opener.pk)):
            out[self.opener.pk] = True  # not asked: recorded only when present
        out.update({int(u): True for u in data.get("extra") or []})
        return out

    def error_fields(self, exc: Exception) -> dict[str, str]:
        """Where the closing service's errors go on this form: its errors name the positions
        of ``attendance()`` and ``revisits()`` (``undecided.0.revisit_on``), as the API's."""
        names = {"attendance": "extra"}
        for n, r in enumerate(self.revisits()):
            names[f"undecided.{n}.revisit_on"] = revisit_name(r.insight_id)
            names[f"undecided.{n}.note"] = revisit_note_name(r.insight_id)
        for name in getattr(exc, "errors", {}):
            if name.startswith("attendance."):  # someone who may not be added: "also present"
                names[name] = "extra"
        return names

    def revisits(self) -> list[Revisit]:
        data = self.cleaned_data
        return [
            Revisit(
                c.insight_id,
                data.get(revisit_name(c.insight_id)),
                data.get(revisit_note_name(c.insight_id)) or "",
            )
            for c in self.undecided_cards
        ]


class SendForm(Form):
    resend = forms.BooleanField(required=False)
