"""Web forms for voting: parsing only; the rules live in ``services/``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from traction.core.forms import Form
from traction.core.guard import MAX_ID, whole_number
from traction.insights.models import Insight

from .selectors import BallotRow
from .services import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET, PAPER_REASON, TallyEntry


class BudgetForm(Form):
    budget = forms.IntegerField(
        min_value=MIN_BUDGET,
        max_value=MAX_BUDGET,
        initial=DEFAULT_BUDGET,
        label="Votes per customer",
        help_text="Each customer participant spends this many dots; several may go on one card.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ReopenForm(Form):
    reason = forms.CharField(
        max_length=300,
        label="Why reopen?",
        help_text="Kept in the audit trail with the ranking frozen at the closing.",
    )
    budget = forms.IntegerField(
        min_value=MIN_BUDGET,
        max_value=MAX_BUDGET,
        required=False,
        label="Votes per customer (leave empty to keep)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class RemoveDotsForm(Form):
    contact_id = forms.IntegerField(min_value=1, max_value=MAX_ID)
    reason = forms.CharField(max_length=300, label="Why remove their dots?")


class RoomDotForm(Form):
    contact_id = forms.IntegerField(min_value=1, max_value=MAX_ID)
    insight_id = forms.IntegerField(min_value=1, max_value=MAX_ID)
    change = forms.ChoiceField(choices=[("add", "Add a dot"), ("remove", "Remove a dot")])


def cell_name(insight_id: int, contact_id: int) -> str:
    return f"cell_{insight_id}_{contact_id}"


class PaperTallyForm(Form):
    """The paper round's grid: one number per card (row) and customer (column)."""

    def __init__(
        self,
        data: Mapping[str, Any] | None,
        *,
        cards: Sequence[Insight],
        voters: Sequence[BallotRow],
        current: Mapping[tuple[int, int], int],
    ) -> None:
        super().__init__(data)
        self.cards = list(cards)
        self.voters = list(voters)
        self.fields["reason"] = forms.CharField(
            required=False,  # an unchanged grid needs none; the service asks when it saves
            max_length=300,
            initial=PAPER_REASON,
            label="Why you are entering these dots for the customers",
            help_text="Kept with each dot you enter; each customer sees it in their portal "
            "and can withdraw dots entered for them.",
        )
        for card in self.cards:
            for voter in self.voters:
                name = cell_name(card.pk, voter.contact.pk)
                self.fields[name] = forms.IntegerField(
                    min_value=0,
                    max_value=MAX_BUDGET,
                    required=False,
                    initial=current.get((card.pk, voter.contact.pk), 0),
                    label=f"{voter.contact.name} on “{card.text[:60]}”",
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "tally"}),
                )

    def entries(self) -> list[TallyEntry]:
        """Only the cells changed on the page (an empty box is 0). Each box posts the value
        it showed (``was_<cell>``), so dots cast meanwhile through another channel are not
        overwritten by a box nobody touched."""
        found = []
        for card in self.cards:
            for voter in self.voters:
                name = cell_name(card.pk, voter.contact.pk)
                value = self.cleaned_data.get(name) or 0
                shown = str(self.data.get(f"was_{name}", ""))
                before = whole_number(shown, low=0, high=MAX_BUDGET)
                if before is None:  # not what the page drew: take the box as untouched
                    before = self.fields[name].initial
                if value != before:
                    found.append(TallyEntry(card.pk, voter.contact.pk, value))
        return found

    def rows(self) -> list[tuple[Insight, list[forms.BoundField]]]:
        return [
            (card, [self[cell_name(card.pk, v.contact.pk)] for v in self.voters])
            for card in self.cards
        ]


class LinkBallotForm(Form):
    """A customer's ballot on their phone: dots per card."""

    def __init__(self, data: Mapping[str, Any] | None, *, cards: Sequence[Insight]) -> None:
        super().__init__(data)
        self.cards = list(cards)
        for card in self.cards:
            self.fields[f"card_{card.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=MAX_BUDGET,
                required=False,
                initial=getattr(card, "my_dots", 0),
                label=card.text,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "dots-input"}),
            )

    def dots(self) -> dict[int, int]:
        return {card.pk: self.cleaned_data.get(f"card_{card.pk}") or 0 for card in self.cards}

    def rows(self) -> list[tuple[Insight, forms.BoundField]]:
        return [(card, self[f"card_{card.pk}"]) for card in self.cards]

    @property
    def dots_entered(self) -> int:
        """The dots the page shows: what was posted when a refused ballot is drawn again,
        else the ballot as saved. Counted as the page's script counts: ASCII digits only,
        anything else is 0."""
        total = 0
        for card in self.cards:
            name = f"card_{card.pk}"
            if self.is_bound:
                raw = str(self.data.get(self.add_prefix(name), "")).strip()
                total += whole_number(raw, low=0) or 0
            else:
                total += self.fields[name].initial or 0
        return total

    @property
    def dots_entered_negated(self) -> int:
        """For the template's ``budget|add:``, which has no subtraction."""
        return -self.dots_entered
