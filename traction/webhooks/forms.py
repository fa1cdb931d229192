"""Web forms for webhook endpoints: parsing only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from traction.core.forms import Form
from traction.customers.forms import VersionField
from traction.programs.models import Program

from . import events

FIELD_MAP = {"program_ids": "programs"}

EVENT_SCOPE = [("all", "Every event"), ("chosen", "Only the events chosen below")]
PROGRAM_SCOPE = [
    ("all", "Every program (and events of no program)"),
    ("chosen", "Only the programs chosen below"),
]


class ProgramsField(forms.ModelMultipleChoiceField["Program"]):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Program) -> str:
        return obj.name


class EndpointForm(Form):
    url = forms.CharField(
        label="URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/traction-hook"}),
        help_text="Where Traction sends each event, as a signed JSON POST.",
    )
    description = forms.CharField(
        max_length=200,
        required=False,
        help_text='What receives the events, e.g. "Jira automation".',
    )
    event_scope = forms.ChoiceField(
        label="Events", choices=EVENT_SCOPE, initial="all", widget=forms.RadioSelect
    )
    event_types = forms.MultipleChoiceField(
        label="Chosen events", required=False, widget=forms.CheckboxSelectMultiple
    )
    program_scope = forms.ChoiceField(
        label="Programs", choices=PROGRAM_SCOPE, initial="all", widget=forms.RadioSelect
    )
    programs = ProgramsField(
        label="Chosen programs", required=False, queryset=Program.objects.none()
    )
    active = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Send events to it from now on (you can disable it at any time).",
    )
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        programs: QuerySet[Program],
        shown: list[Program],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        """``programs``: which programs may be chosen (every one the viewer sees); ``shown``:
        the checkboxes offered (the first few and those ticked:
        programs.selectors.offered_programs)."""
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = events.choices()  # type: ignore[attr-defined]
        chosen = self.fields["programs"]
        chosen.queryset = programs  # type: ignore[attr-defined]
        chosen.widget.choices = [(p.pk, p.name) for p in shown]
        if editing:
            del self.fields["active"]  # disabling and enabling have their own button

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            "url": data["url"],
            "description": data["description"],
            "all_events": data["event_scope"] == "all",
            "event_types": list(data["event_types"]),
            "all_programs": data["program_scope"] == "all",
            "program_ids": [p.pk for p in data["programs"]],
        }
        if "active" in self.fields:
            values["active"] = data["active"]
        return values
