"""Forms of the debrief clock: the booking (the slot in the session's time zone), the answer,
the workspace's debrief settings, the list's filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet

from traction.core.forms import Form
from traction.core.text import validate_one_line
from traction.customers.forms import VersionField
from traction.debrief.models import Debrief
from traction.debrief.selectors_clock import TIMELINESS
from traction.programs.models import Program
from traction.sessions.forms import DateInput, ProgramChoiceField, TimeInput, offer_programs
from traction.sessions.models import SessionKind

BOOKING_FIELD_MAP = {"starts_at": "start_time"}


class BookingForm(Form):
    date = forms.DateField(widget=DateInput())
    start_time = forms.TimeField(label="Starts at", widget=TimeInput())
    minutes = forms.IntegerField(
        label="Length (minutes)", min_value=30, max_value=480, help_text="Three hours by default."
    )
    location = forms.CharField(
        required=False,
        max_length=200,
        validators=[validate_one_line],
        help_text="Room and address; leave empty to meet where the session takes place.",
    )
    video_link = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Video link",
        help_text="Leave empty to use the session's link, if it has one.",
    )
    version = VersionField()

    @staticmethod
    def initial_for(debrief: Debrief) -> dict[str, Any]:
        start = debrief.starts_at.astimezone(debrief.session.tz)
        return {
            "date": start.date(),
            "start_time": start.time().replace(tzinfo=None),
            "minutes": int((debrief.ends_at - debrief.starts_at).total_seconds() // 60),
            "location": debrief.location,
            "video_link": debrief.video_link,
            "version": debrief.version,
        }

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "starts_at": datetime.combine(data["date"], data["start_time"]),
            "minutes": data["minutes"],
            "location": data["location"],
            "video_link": data["video_link"],
            "version": data["version"],
        }


class RespondForm(Form):
    answer = forms.ChoiceField(
        choices=[("accepted", "Accept"), ("tentative", "Maybe"), ("declined", "Decline")]
    )


class SettingsForm(Form):
    kinds = forms.MultipleChoiceField(
        choices=SessionKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Session kinds that need a debrief",
        help_text="Each session of these kinds gets a debrief due 24 hours after it ends, "
        "booked when the session is planned.",
    )
    default_minutes = forms.IntegerField(
        label="Default length (minutes)",
        min_value=30,
        max_value=480,
        help_text="The booked working meeting's length; 180 minutes is three hours.",
    )


class DebriefFilterForm(Form):
    program = ProgramChoiceField(
        queryset=Program.objects.none(), required=False, empty_label="All programs"
    )
    timeliness = forms.ChoiceField(
        choices=[("", "Any"), *TIMELINESS.items()], required=False, label="Status"
    )

    def __init__(
        self, *args: Any, programs: QuerySet[Program], shown: list[Program], **kwargs: Any
    ) -> None:
        """``programs``: which the filter may name; ``shown``: the options listed (the
        chosen and the first others: programs.selectors.offered_programs)."""
        super().__init__(*args, **kwargs)
        offer_programs(self.fields["program"], programs, shown)
