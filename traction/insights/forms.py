"""Web forms for scenario maps, live capture and editing insights: parsing only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from traction.core.forms import Form, Paragraphs
from traction.core.guard import MAX_ID
from traction.core.text import validate_one_line

from .models import Insight, InsightKind, Step, StepSupport
from .selectors import Speaker
from .services import scenarios


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


INTERNAL_PARTICIPANTS = "Internal participants (never counted as customer input)"


def speaker_choices(people: Sequence[Speaker]) -> list[tuple[str, Any]]:
    customers = [(p.key, p.label) for p in people if not p.internal]
    internal = [(p.key, p.label) for p in people if p.internal]
    choices: list[tuple[str, Any]] = [("", "— nobody in particular —")]
    if customers:
        choices.append(("Customers", customers))
    if internal:
        choices.append((INTERNAL_PARTICIPANTS, internal))
    return choices


def step_choices(steps: Sequence[Step]) -> list[tuple[str, str]]:
    return [("", "— no step —")] + [(str(s.pk), f"{s.position}. {s.title}") for s in steps]


class CaptureForm(Form):
    """One insight, typed by the note taker; the quick syntax may set type, speaker and step."""

    text = forms.CharField(
        max_length=5200,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autofocus": True,
                "placeholder": "/i @gina >2 What they said, word for word — Enter to save",
                "aria-describedby": "capture-help",
            }
        ),
        label="What was said",
    )
    kind = forms.ChoiceField(choices=InsightKind.choices, initial=InsightKind.ISSUE, label="Type")
    speaker = forms.ChoiceField(required=False, label="Speaker")
    step = forms.ChoiceField(required=False, label="Step")
    tags = forms.CharField(required=False, max_length=300, label="Tags")
    behalf_reason = forms.CharField(
        required=False,
        max_length=300,
        label="On the customer's behalf",
        widget=forms.TextInput(attrs={"placeholder": "e.g. She told me on the phone on 3 March"}),
    )

    def __init__(
        self,
        *args: Any,
        people: Sequence[Speaker],
        steps: Sequence[Step],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "speaker").choices = speaker_choices(people)
        _choice(self, "step").choices = step_choices(steps)


class ScenarioForm(Form):
    title = forms.CharField(
        max_length=scenarios.TITLE_MAX,
        label="Team name",
        help_text="For example “Team Blue”.",
        validators=[validate_one_line],
    )
    outcome = forms.CharField(
        required=False,
        max_length=scenarios.TEXT_MAX,
        widget=Paragraphs(attrs={"rows": 2}),
        help_text="The outcome the team wants, in their words.",
    )
    context_who = forms.CharField(
        required=False,
        max_length=scenarios.TEXT_MAX,
        label="Who",
        widget=Paragraphs(attrs={"rows": 2}),
    )
    context_where = forms.CharField(
        required=False,
        max_length=scenarios.TEXT_MAX,
        label="Where",
        widget=Paragraphs(attrs={"rows": 2}),
    )
    context_when = forms.CharField(
        required=False,
        max_length=scenarios.TEXT_MAX,
        label="When",
        widget=Paragraphs(attrs={"rows": 2}),
    )
    constraints = forms.CharField(
        required=False, max_length=scenarios.TEXT_MAX, widget=Paragraphs(attrs={"rows": 2})
    )
    team = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The customers invited to this session who map this scenario together.",
    )
    steps = forms.CharField(
        required=False,
        widget=Paragraphs(attrs={"rows": 4}),
        label="First steps",
        help_text=f"One step per line, in order, up to {scenarios.STEPS_MAX} steps of "
        f"{scenarios.STEP_TITLE_MAX} characters. You can add, rename, reorder and merge later.",
    )

    def __init__(self, *args: Any, people: Sequence[Speaker], new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "team").choices = [
            (str(p.contact_id), p.label) for p in people if not p.internal
        ]
        if not new:
            del self.fields["steps"]

    def clean_steps(self) -> str:
        value: str = self.cleaned_data["steps"]
        if problems := scenarios.step_title_problems(value.splitlines()):
            raise forms.ValidationError(problems)
        return value


MAX_VERSION = 2**31 - 1  # a version column's largest value (PostgreSQL integer)
MAX_POSITION = 10_000


class StepActionForm(Form):
    """One change to a scenario's steps: add, rename, move up or down, merge, remove."""

    ACTIONS = ["add", "rename", "up", "down", "merge", "remove"]
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    step = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID)
    title = forms.CharField(required=False, max_length=160, validators=[validate_one_line])
    position = forms.IntegerField(required=False, min_value=1, max_value=MAX_POSITION)
    absorb = forms.IntegerField(required=False, label="Merge with", min_value=0, max_value=MAX_ID)
    # Removing a step with insights on it is asked once more (they leave the step).
    confirmed = forms.BooleanField(required=False)


class InsightForm(Form):
    kind = forms.ChoiceField(choices=InsightKind.choices, label="Type")
    text = forms.CharField(widget=Paragraphs(attrs={"rows": 3}), max_length=5000)
    speaker = forms.ChoiceField(required=False)
    step = forms.ChoiceField(required=False)
    tags = forms.CharField(required=False, max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION)

    def __init__(
        self, *args: Any, people: Sequence[Speaker], steps: Sequence[Step], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "speaker").choices = speaker_choices(people)
        _choice(self, "step").choices = [("", "— no step —")] + [
            (str(s.pk), f"{s.scenario.title}: {s.position}. {s.title}") for s in steps
        ]


class StepSupportForm(Form):
    """An entry of a step's "How we support it" lane (``steps``: the add form picks the step)."""

    step = forms.ChoiceField(label="Step")
    kind = forms.ChoiceField(choices=StepSupport.Kind.choices, label="Who")
    name = forms.CharField(
        max_length=120,
        validators=[validate_one_line],
        help_text="A team of ours or a partner, e.g. “Billing support” or “Acme Payments”.",
    )
    note = forms.CharField(
        required=False,
        max_length=300,
        validators=[validate_one_line],
        help_text="What they do at this step. Optional.",
    )

    def __init__(self, *args: Any, steps: Sequence[Step] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if steps is None:
            del self.fields["step"]
        else:
            _choice(self, "step").choices = [(str(s.pk), f"{s.position}. {s.title}") for s in steps]


class MeasuresForm(Form):
    """The moments of truth a customer metric card measures."""

    moments = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Moments of truth this metric measures",
    )

    def __init__(self, *args: Any, moments: Sequence[Insight], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "moments").choices = [
            (
                str(m.pk),
                (f"{m.step.position}. {m.step.title}: " if m.step else "Not on a step: ")
                + m.text[:120],
            )
            for m in moments
        ]
