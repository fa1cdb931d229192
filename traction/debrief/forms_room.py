"""Web forms of the debrief room: parsing only; the services decide."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Case, QuerySet, When
from django.template.defaultfilters import pluralize

from traction.core.forms import Form, Paragraphs
from traction.customers.forms import VersionField
from traction.insights.models import Insight

from .merging import OpenedField
from .models import DecisionOutcome, Direction, Horizon, Level, RecommendationKind, ScorecardMetric
from .services.recommendations import LONG_TEXT_MAX, REASON_MAX, decision_errors

DECIDE_CHOICES = [
    (DecisionOutcome.APPROVED.value, "Approve"),
    (DecisionOutcome.DEFERRED.value, "Defer"),
    (DecisionOutcome.REJECTED.value, "Reject"),
]


class EvidenceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    # The top priorities' rank and dots by insight id (``RecommendationForm(ranks=…)``).
    ranks: Mapping[int, tuple[int, int]] = {}

    def label_from_instance(self, obj: Insight) -> str:
        who = f" — {obj.speaker_name}" if obj.speaker_name else ""
        ranked = self.ranks.get(obj.pk)
        lead = f"Priority #{ranked[0]} ({ranked[1]} dot{pluralize(ranked[1])}) · " if ranked else ""
        return f"{lead}{obj.get_kind_display()}: {obj.text}{who}"


class RecommendationForm(Form):
    title = forms.CharField(max_length=200)
    rationale = forms.CharField(
        required=False,
        max_length=LONG_TEXT_MAX,
        widget=Paragraphs(attrs={"rows": 3}),
        help_text="Why, in a few lines.",
    )
    evidence = EvidenceField(
        queryset=Insight.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The session's cards and quotes it answers: at least one.",
        error_messages={"required": "Link at least one insight of the session as evidence."},
    )
    kind = forms.ChoiceField(choices=RecommendationKind.choices, initial="tactical")
    horizon = forms.ChoiceField(choices=Horizon.choices, initial="quarter")
    impact = forms.ChoiceField(choices=Level.choices, initial="medium", label="Estimated impact")
    effort = forms.ChoiceField(choices=Level.choices, initial="medium", label="Estimated effort")
    owning_team = forms.CharField(
        max_length=120,
        required=False,
        label="Owning team",
        help_text="A team or partner from the map's “how we support it” lane, or another.",
        widget=forms.TextInput(attrs={"list": "owning-teams", "autocomplete": "off"}),
    )
    customer_summary = forms.CharField(
        required=False,
        max_length=LONG_TEXT_MAX,
        label="What customers would be told",
        widget=Paragraphs(attrs={"rows": 2}),
    )
    version = VersionField()
    opened = OpenedField()

    def __init__(
        self,
        *args: Any,
        evidence: QuerySet[Insight],
        metrics: QuerySet[ScorecardMetric],
        ranks: Mapping[int, tuple[int, int]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``ranks``: the session's top priorities (rank, dots) by insight id, listed first
        among the evidence, by rank, and labelled with it; the other insights follow."""
        super().__init__(*args, **kwargs)
        field = self.fields["evidence"]
        if ranks:
            first = Case(*(When(pk=pk, then=rank) for pk, (rank, _) in ranks.items()), default=None)
            evidence = evidence.order_by(first.asc(nulls_last=True), *evidence.query.order_by)
            field.ranks = ranks  # type: ignore[attr-defined]
        field.queryset = evidence  # type: ignore[attr-defined]
        self.metric_names: dict[str, str] = {}
        for metric in metrics:
            name = f"metric_{metric.pk}"
            self.fields[name] = forms.ChoiceField(
                required=False,
                label=f"Should move “{metric.name}”",
                choices=[("", "Not this one"), *Direction.choices],
            )
            self.metric_names[name] = metric.name

    def metric_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.metric_names]

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            k: data[k]
            for k in (
                "title",
                "rationale",
                "kind",
                "horizon",
                "impact",
                "effort",
                "owning_team",
                "customer_summary",
            )
        }
        values["evidence"] = sorted(i.pk for i in data["evidence"])
        values["metrics"] = [
            {"metric_id": int(name.split("_", 1)[1]), "direction": data[name]}
            for name in self.metric_names
            if data.get(name)
        ]
        return values


class DecideForm(Form):
    outcome = forms.ChoiceField(choices=DECIDE_CHOICES, widget=forms.RadioSelect, label="Decision")
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=Paragraphs(attrs={"rows": 2}),
        error_messages={"required": "Say why: every decision has a reason."},
    )
    revisit_on = forms.DateField(
        required=False,
        label="Revisit on",
        help_text="Needed to defer: a date in the future.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    version = VersionField()

    def clean(self) -> dict[str, Any]:
        """The decision's rules that hang on the outcome (a deferral's date), with the
        reason's, in one pass: the service's own list (``decision_errors``), beside each
        field that has no error of its own yet."""
        data = super().clean() or {}
        if "outcome" in data:
            found = decision_errors(
                data["outcome"], data.get("reason") or "", data.get("revisit_on")
            )
            for name, messages in found.items():
                if name in self.fields and name not in self.errors:
                    for message in messages:
                        self.add_error(name, message)
        return data


class PhaseForm(Form):
    phase = forms.ChoiceField(choices=[])
    version = VersionField()

    def __init__(self, *args: Any, plan: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [(p["key"], p["title"]) for p in plan]  # type: ignore[attr-defined]


class PhaseRowForm(Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(max_length=120, required=False)
    minutes = forms.IntegerField(min_value=1, max_value=240, required=False)
    order = forms.IntegerField(min_value=1, max_value=99, required=False, label="Order")
    remove = forms.BooleanField(required=False, label="Remove")


PhaseFormSet = forms.formset_factory(PhaseRowForm, extra=1, max_num=15, validate_max=True)


class PlanVersionForm(Form):
    version = VersionField()


class ArchiveForm(Form):
    version = VersionField()
