"""Forms of the scorecard pages: a metric, a measurement, a CSV upload. No rules here: the
service checks and names each field it refuses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from traction.core import csv_reader
from traction.core.errors import ValidationFailed
from traction.core.forms import Form, Paragraphs
from traction.core.text import validate_one_line

from .measurements_csv import MAX_BYTES, NOTE_MAX, VALUE_MAX, parse_value
from .merging import OpenedField
from .models import Direction, Frequency, ScorecardMetric
from .services.scorecards import DEFINITION_MAX, parse_forecast_text


class DateInput(forms.DateInput):
    input_type = "date"


# The service's field names → this form's.
METRIC_FIELD_MAP = {
    "owner_id": "owner",
    "numerator_id": "numerator",
    "denominator_id": "denominator",
    "serves_ids": "serves",
}


def _forecast_text(forecast: list[dict[str, str]]) -> str:
    return "\n".join(f"{p['on']} {p['value']}" for p in forecast or [])


def _canonical_number(raw: str) -> str:
    try:
        return f"{parse_value(raw).normalize():f}" if raw else raw
    except ValueError:
        return raw


class ServiceChecked(forms.CharField):
    """A required field that the service checks (and names when missing) with every other
    field, so that all problems show at once in the API's words: marked required on the
    page, never refused here."""

    def validate(self, value: Any) -> None:
        pass


class MetricForm(Form):
    # The name (required, one line, unique in the program) and the forecast's lines are
    # checked by the service; the browser is only told the length.
    name = ServiceChecked(widget=forms.TextInput(attrs={"maxlength": 160}))
    definition = forms.CharField(
        required=False,
        max_length=DEFINITION_MAX,
        widget=Paragraphs(attrs={"rows": 3}),
        help_text="What is counted, how and from which records: two people should get the "
        "same number.",
    )
    unit = forms.CharField(
        required=False, max_length=40, help_text="e.g. days, %, customers, € per account."
    )
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.UP)
    frequency = forms.ChoiceField(
        choices=Frequency.choices, initial=Frequency.MONTHLY, label="Reporting frequency"
    )
    data_source = forms.CharField(
        required=False, max_length=200, help_text="Where the numbers come from."
    )
    owner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Nobody yet",
        help_text="The member who reports it.",
    )
    baseline = forms.CharField(required=False, max_length=VALUE_MAX)
    baseline_on = forms.DateField(required=False, label="Baseline date", widget=DateInput())
    target = forms.CharField(required=False, max_length=VALUE_MAX)
    target_on = forms.DateField(required=False, label="Target date", widget=DateInput())
    forecast = forms.CharField(
        required=False,
        widget=Paragraphs(attrs={"rows": 4}),
        label="Forecast path",
        help_text="Optional: one dated value per line, e.g. “2027-06-30 8”.",
    )
    numerator: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Not calculated: measured directly",
        help_text="For a calculated metric: the measured metric divided…",
    )
    denominator: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Not calculated: measured directly",
        help_text="…by this measured metric.",
    )
    serves: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Customer metrics it serves",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    opened = OpenedField()

    def __init__(
        self,
        *args: Any,
        members: QuerySet[Any],
        parts: QuerySet[Any],
        cards: QuerySet[Any],
        shown_members: list[Any],
        shown_cards: list[Any],
        **kwargs: Any,
    ) -> None:
        """``members`` and ``cards``: whom a posted owner and which posted cards may name;
        ``shown_members`` and ``shown_cards``: the options listed (the chosen and the first
        others: selectors_scorecards.offered_owners and offered_cards)."""
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = members
        owner.label_from_instance = lambda u: u.full_name or u.email
        owner.choices = [("", owner.empty_label)] + [
            (u.pk, owner.label_from_instance(u)) for u in shown_members
        ]
        for name in ("numerator", "denominator"):
            field: Any = self.fields[name]
            field.queryset = parts
        serves: Any = self.fields["serves"]
        serves.queryset = cards
        serves.label_from_instance = lambda c: c.text[:140]
        serves.choices = [(c.pk, serves.label_from_instance(c)) for c in shown_cards]

    # Numbers and the forecast as stored, when they read: "95.0" is the saved 95 and a
    # browser's CRLF the saved LF, so that the edit page's merge sees no change in them.
    # What does not read is passed on as typed, for the service to name.
    def clean_baseline(self) -> str:
        return _canonical_number(self.cleaned_data["baseline"])

    def clean_target(self) -> str:
        return _canonical_number(self.cleaned_data["target"])

    def clean_forecast(self) -> str:
        text = "\n".join(line.strip() for line in self.cleaned_data["forecast"].splitlines())
        try:
            return _forecast_text(parse_forecast_text(text))
        except ValidationFailed:
            return text

    @staticmethod
    def initial_for(metric: ScorecardMetric) -> dict[str, Any]:
        return {
            "name": metric.name,
            "definition": metric.definition,
            "unit": metric.unit,
            "direction": metric.direction,
            "frequency": metric.frequency,
            "data_source": metric.data_source,
            "owner": metric.owner_id,
            "baseline": "" if metric.baseline is None else f"{metric.baseline.normalize():f}",
            "baseline_on": metric.baseline_on,
            "target": "" if metric.target is None else f"{metric.target.normalize():f}",
            "target_on": metric.target_on,
            "forecast": _forecast_text(metric.forecast),
            "numerator": metric.numerator_id,
            "denominator": metric.denominator_id,
            "serves": [c.pk for c in metric.serves.all()],
            "version": metric.version,
        }

    def service_values(self) -> dict[str, Any]:
        """The service's fields (``forecast`` still as typed: the view parses it)."""
        d = self.cleaned_data
        return {
            "name": d["name"],
            "definition": d["definition"],
            "unit": d["unit"],
            "direction": d["direction"],
            "frequency": d["frequency"],
            "data_source": d["data_source"],
            "owner_id": d["owner"].pk if d["owner"] else None,
            "baseline": d["baseline"] or None,
            "baseline_on": d["baseline_on"],
            "target": d["target"] or None,
            "target_on": d["target_on"],
            "numerator_id": d["numerator"].pk if d["numerator"] else None,
            "denominator_id": d["denominator"].pk if d["denominator"] else None,
        }


class MeasurementForm(Form):
    on = forms.DateField(label="Date", widget=DateInput())
    value = forms.CharField(max_length=VALUE_MAX)
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        validators=[validate_one_line],
        help_text="Optional: why it moved, e.g. why it dipped.",
    )


class CsvForm(Form):
    file = forms.FileField(
        label="CSV file or Excel workbook",
        help_text=f"Columns metric, date (YYYY-MM-DD), value and optionally note; up to "
        f"{MAX_BYTES // (1024 * 1024)} MB and {csv_reader.row_cap('measurements'):,} rows. "
        "A CSV file in UTF-8 or what Excel saves, or an Excel workbook (.xlsx): its first "
        "sheet with data is read.",
        widget=forms.FileInput(attrs={"accept": csv_reader.ACCEPT}),
    )
