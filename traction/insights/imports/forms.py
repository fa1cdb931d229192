"""Web forms for imports and the review queue: parsing only (the rules live in the services)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django import forms

from traction.core import csv_reader
from traction.core.forms import Form
from traction.core.guard import whole_number
from traction.insights.forms import INTERNAL_PARTICIPANTS, speaker_choices
from traction.insights.models import InsightKind, Scenario, Step
from traction.insights.selectors import Speaker

from . import parsers
from .preview import bidi_name_message
from .shapes import NEW_CONTACT, UNATTRIBUTED, ImportOptions, Preview

ACCEPTED_TYPES = ".vtt,.srt,.txt,.csv,.tsv,text/vtt,text/plain,text/csv"
NO_COLUMN = ""


def scenario_choices(scenarios: Sequence[Scenario]) -> list[tuple[str, str]]:
    return [("", "— none: keep rows off the steps —")] + [(str(s.pk), s.title) for s in scenarios]


class UploadForm(Form):
    file = forms.FileField(
        label="Transcript or sticky-note export",
        help_text="WebVTT (.vtt) from Zoom or Teams, SRT (.srt), plain text (.txt) with "
        "“Name: text” lines, or a sticky-note CSV (.csv, comma, semicolon or tab separated). "
        "Up to {mb} MB and {rows:,} rows (notes or utterances).",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    scenario = forms.ChoiceField(
        required=False,
        label="Scenario",
        help_text="For sticky notes: the scenario whose steps the “step” column names.",
    )

    def __init__(self, *args: Any, scenarios: Sequence[Scenario], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        upload = self.fields["file"]
        upload.help_text = str(upload.help_text).format(
            mb=parsers.MAX_BYTES // (1024 * 1024), rows=csv_reader.row_cap("insights")
        )
        field = self.fields["scenario"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = scenario_choices(scenarios)
        if len(scenarios) == 1:
            self.initial.setdefault("scenario", str(scenarios[0].pk))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > parsers.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {parsers.MAX_BYTES // (1024 * 1024)} MB; split it "
                "into smaller files and import each."
            )
        if (message := bidi_name_message(Path(upload.name or "").name)) is not None:
            raise forms.ValidationError(message)
        return upload


# An import may also credit the session's facilitator and the importer (``import_speakers``).
INTERNAL_GROUP = "Our team: internal remarks, never counted as customer input"


def who_choices(people: Sequence[Speaker], customers: Sequence[Any]) -> list[tuple[str, Any]]:
    """Where a name written in the file can go: a participant, a new contact, or nobody."""
    choices = speaker_choices(people)
    choices[0] = (UNATTRIBUTED, "— keep the name as written, credit nobody —")
    choices = [
        (INTERNAL_GROUP, group) if label == INTERNAL_PARTICIPANTS else (label, group)
        for label, group in choices
    ]
    if customers:
        choices.append(
            (
                "New contact (not invited)",
                [(f"{NEW_CONTACT}{c.pk}", f"New contact of {c.name}") for c in customers],
            )
        )
    return choices


class PreviewForm(Form):
    """The choices confirmed on the preview: scenario, CSV columns, speakers, unknown steps."""

    upload = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    filename = forms.CharField(max_length=255, widget=forms.HiddenInput)
    scenario = forms.ChoiceField(
        required=False,
        label="Scenario",
        # Never the value posted (it may be anything, of any length): what to do instead.
        error_messages={"invalid_choice": "Choose one of the session's scenarios."},
    )
    unknown_steps = forms.ChoiceField(
        required=False,
        label="Steps not in the scenario",
        choices=[
            ("create", "Create them as new steps, in the order they first appear"),
            ("ignore", "Import those rows without a step"),
        ],
        initial="create",
        widget=forms.RadioSelect,
    )
    accept = forms.BooleanField(
        required=False,
        label="Accept every row onto the map now (skip the review queue)",
    )

    def __init__(
        self,
        *args: Any,
        preview: Preview,
        scenarios: Sequence[Scenario],
        people: Sequence[Speaker],
        customers: Sequence[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.preview = preview
        field = self.fields["scenario"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = scenario_choices(scenarios)
        if preview.format == "csv":
            # Sticky notes with a type we know (and, for the grid's types, a step of the
            # scenario) go onto the map whether or not this is ticked: say so.
            accept = self.fields["accept"]
            accept.label = "Also accept the other notes onto the map now (skip the review queue)"
            accept.help_text = (
                "Unticked, the notes whose type Traction recognises (and, for moments of "
                "truth, issues, ideas and customer metrics, whose step is in the scenario) "
                "still go straight onto the map, as “Goes to” shows; only the others wait in "
                "the review queue. Ticked, every note goes onto the map."
            )
        self.column_fields: list[str] = []
        if preview.layout is not None:
            columns = [(NO_COLUMN, "— not in this file —")] + [
                (str(n), f"{n + 1}. {h or '(no header)'}")
                for n, h in enumerate(preview.layout.headers)
            ]
            for name in parsers.CSV_FIELDS:
                key = f"column_{name}"
                index = preview.layout.mapping.get(name)
                self.fields[key] = forms.ChoiceField(
                    choices=columns,
                    required=name == "text",
                    label=COLUMN_LABELS[name],
                    initial=NO_COLUMN if index is None else str(index),
                    error_messages={"invalid_choice": "Choose one of the file's columns."},
                )
                self.column_fields.append(key)
        self.speaker_fields: list[tuple[str, Any]] = []
        choices = who_choices(people, customers)
        for n, found in enumerate(preview.speakers):
            key = f"speaker_{n}"
            self.fields[key] = forms.ChoiceField(
                choices=choices,
                label=found.name,
                initial=found.match.key if found.match else UNATTRIBUTED,
                error_messages={"invalid_choice": "Choose one of the people listed."},
                help_text=f"{found.rows:,} row{'s' if found.rows != 1 else ''}, first on line "
                f"{found.first_line:,}" + ("" if found.match else " — matches nobody taking part"),
            )
            self.speaker_fields.append((key, found))

    def columns_bound(self) -> list[forms.BoundField]:
        return [self[k] for k in self.column_fields]

    def speakers_bound(self) -> list[tuple[forms.BoundField, Any]]:
        return [(self[k], found) for k, found in self.speaker_fields]

    def options(self) -> ImportOptions:
        data = self.cleaned_data
        columns = None
        if self.column_fields:
            columns = {
                k.removeprefix("column_"): int(data[k]) if data.get(k) else None
                for k in self.column_fields
            }
        return ImportOptions(
            scenario_id=int(data["scenario"]) if data.get("scenario") else None,
            columns=columns,
            speakers={found.name: data[k] for k, found in self.speaker_fields},
            unmatched="keep",
            unknown_steps=data.get("unknown_steps") or "ignore",
            accept=bool(data.get("accept")),
        )


COLUMN_LABELS = {
    "text": "Note text",
    "author": "Author (who wrote or said it)",
    "kind": "Type (issue, idea, moment of truth…)",
    "step": "Step",
    "tags": "Tags",
}


def options_from_post(data: Any) -> ImportOptions:
    """The scenario and CSV columns a preview form was posted with (to rebuild the preview)."""

    def number(value: Any) -> int | None:
        # Strictly ASCII digits within range: "²".isdigit() is True, but int("²") fails.
        return whole_number(value, low=0)

    columns = {
        name: number(data.get(f"column_{name}"))
        for name in parsers.CSV_FIELDS
        if f"column_{name}" in data
    }
    return ImportOptions(scenario_id=number(data.get("scenario")), columns=columns or None)


def reading_posted_back(preview: Preview) -> ImportOptions:
    """The reading choices (scenario, CSV columns) a preview's form posts back unchanged, as
    ``options_from_post`` finds them: the key its parse is kept under until the confirm."""
    columns = None
    if preview.layout is not None:
        columns = {name: preview.layout.mapping.get(name) for name in parsers.CSV_FIELDS}
    return ImportOptions(
        scenario_id=preview.scenario.pk if preview.scenario else None, columns=columns
    )


REVIEW_FORM = "review-form"


def review_prefix(insight_id: int) -> str:
    """Each row's fields are named ``c<id>-kind`` and ``c<id>-step``: they all belong to the
    queue's one form, so the bulk buttons send what every ticked row shows."""
    return f"c{insight_id}"


class ReviewEditForm(Form):
    """Inline correction of a candidate's type and step in the review queue."""

    kind = forms.ChoiceField(choices=InsightKind.choices, label="Type")
    step = forms.ChoiceField(required=False, label="Step")

    def __init__(self, *args: Any, steps: Sequence[Step], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        for name in ("kind", "step"):
            self.fields[name].widget.attrs["form"] = REVIEW_FORM
        field = self.fields["step"]
        assert isinstance(field, forms.ChoiceField)
        several = len({s.scenario_id for s in steps}) > 1
        field.choices = [("", "— no step —")] + [
            (
                str(s.pk),
                f"{s.scenario.title} · {s.position}. {s.title}"
                if several
                else f"{s.position}. {s.title}",
            )
            for s in steps
        ]

    def changes(self) -> dict[str, Any]:
        """The service's words for what the row shows (valid forms only)."""
        step = self.cleaned_data["step"]
        return {"kind": self.cleaned_data["kind"], "step_id": int(step) if step else None}


class ReviewDecisionForm(Form):
    action = forms.ChoiceField(
        choices=[("accept", "Accept"), ("discard", "Discard"), ("merge", "Merge")]
    )
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=False)

    def __init__(self, *args: Any, candidate_ids: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(str(i), str(i)) for i in candidate_ids]
        field.error_messages["invalid_choice"] = (
            "Some of these rows were reviewed meanwhile; reload the queue."
        )
