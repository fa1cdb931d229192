"""Web forms for sessions, outreach, participants and top questions: parsing only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import dateformat

from traction.accounts.models import User
from traction.core import clock, dates
from traction.core.errors import ValidationFailed
from traction.core.forms import Form, Paragraphs, TimeZoneField
from traction.core.text import validate_one_line
from traction.customers.forms import MemberChoiceField, VersionField
from traction.programs.models import Program

from .models import ParticipantRole, RsvpEmails, Session, SessionKind

# Services name model fields; the forms name what people fill in.
SESSION_FIELD_MAP = {
    "starts_at": "start_time",
    "ends_at": "end_time",
    "program_id": "program",
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class ProgramChoiceField(forms.ModelChoiceField["Program"]):
    def label_from_instance(self, obj: Program) -> str:
        return obj.name


def offer_programs(field: Any, programs: QuerySet[Program], shown: list[Program]) -> None:
    """A program select that validates against ``programs`` but lists only ``shown``."""
    field.queryset = programs
    field.choices = [("", field.empty_label), *((p.pk, p.name) for p in shown)]


class SessionFilterForm(Form):
    program = ProgramChoiceField(
        required=False, queryset=Program.objects.none(), empty_label="Any program"
    )
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *SessionKind.choices])

    def __init__(
        self, *args: Any, programs: QuerySet[Program], shown: list[Program], **kwargs: Any
    ) -> None:
        """``programs``: which a link or filter may name; ``shown``: the options listed (the
        chosen and the first others: programs.selectors.offered_programs)."""
        super().__init__(*args, **kwargs)
        offer_programs(self.fields["program"], programs, shown)


class SessionForm(Form):
    program = ProgramChoiceField(queryset=Program.objects.none(), empty_label="Choose a program")
    kind = forms.ChoiceField(
        choices=SessionKind.choices,
        initial=SessionKind.CO_DESIGN,
        help_text="The agenda starts from the template of this kind; you can edit it.",
    )
    title = forms.CharField(
        max_length=160,
        validators=[validate_one_line],
        help_text='What people will see in their calendar, e.g. "Onboarding co-design, Berlin".',
    )
    date = forms.DateField(widget=DateInput())
    start_time = forms.TimeField(label="Starts at", widget=TimeInput())
    end_time = forms.TimeField(label="Ends at", widget=TimeInput())
    # Asked only when the session would already be over (shown then: ``asks_past``).
    confirm_past = forms.BooleanField(
        required=False, label="Yes, record a session held in the past"
    )
    time_zone = TimeZoneField(
        help_text=(
            "Where the session takes place; invitations show the time in this zone (and "
            "customers also see it in theirs). Type a city to find it."
        ),
    )
    location = forms.CharField(
        required=False, max_length=200, help_text="Room and address, if people meet in person."
    )
    video_link = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Video link",
        help_text="For remote participants, if any.",
    )
    hear_back_by = forms.DateField(
        required=False,
        label="Customers hear back by",
        widget=DateInput(),
        help_text="The date the session's “Next steps” promise its customers will hear what "
        "came of it; the first update to each of its customer organisations is due by then.",
    )
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        programs: QuerySet[Program] | None = None,
        shown: list[Program] | None = None,
        time_zone: str = "UTC",
        **kwargs: Any,
    ) -> None:
        """``time_zone``: the zone the picker starts at (the workspace's) for a new session,
        or the session's own when editing (kept choosable even if no longer current).
        ``programs``: which a new session's program may be; ``shown``: the options listed
        (the chosen and the first others: programs.selectors.offered_programs)."""
        super().__init__(*args, **kwargs)
        self.asks_past = False
        field = self.fields["time_zone"]
        field.keep(time_zone)  # type: ignore[attr-defined]
        field.initial = time_zone
        if programs is None:  # editing: the program and kind stay as planned
            del self.fields["program"]
            del self.fields["kind"]
            suggested = (self.initial or {}).get("suggested_hear_back_by")
            if (self.initial or {}).get("is_practice"):  # no customers: nothing to promise
                del self.fields["hear_back_by"]
            elif suggested:
                self.fields[
                    "hear_back_by"
                ].help_text += (
                    f" Suggested: {dates.short(suggested)}, two weeks after the session ends."
                )
        else:
            offer_programs(self.fields["program"], programs, shown or [])
            del self.fields["hear_back_by"]

    @staticmethod
    def initial_for(session: Session) -> dict[str, Any]:
        start, end = session.local_start, session.local_end
        return {
            "title": session.title,
            "date": start.date(),
            "start_time": start.time().replace(tzinfo=None),
            "end_time": end.time().replace(tzinfo=None),
            "time_zone": session.time_zone,
            "location": session.location,
            "video_link": session.video_link,
            "hear_back_by": session.hear_back_by,
            "suggested_hear_back_by": session.suggested_hear_back_by,
            "is_practice": session.is_practice,
            "version": session.version,
        }

    def clean(self) -> dict[str, Any]:
        """A session that would already be over when saved (a new one, or a new time for
        one) is saved only once confirmed: a wrong year is likelier than a record."""
        data = super().clean() or {}
        day, end, zone = data.get("date"), data.get("end_time"), data.get("time_zone")
        if day is None or end is None or not zone or data.get("confirm_past"):
            return data
        ends = datetime.combine(day, end)
        initial = self.initial or {}
        if "date" in initial and (initial["date"], initial.get("end_time")) == (day, end):
            return data  # editing, the time unchanged
        try:
            over = clock.in_zone(ends, zone) <= clock.now()
        except ValidationFailed:
            return data  # an unknown zone: the service says so
        if over:
            self.asks_past = True
            self.add_error(
                "date",
                f"This session ended on {dateformat.format(ends, 'j F Y')} — already over. "
                "Record a session held in the past? Tick “Yes, record a session held in the "
                "past” below and save again, or correct the date.",
            )
        return data

    def service_values(self) -> dict[str, Any]:
        """Naive local wall-clock times: the service reads them in the chosen time zone."""
        d = self.cleaned_data
        values: dict[str, Any] = {
            "title": d["title"],
            "starts_at": datetime.combine(d["date"], d["start_time"]),
            "ends_at": datetime.combine(d["date"], d["end_time"]),
            "time_zone": d["time_zone"],
            "location": d["location"],
            "video_link": d["video_link"],
        }
        if "program" in d:
            values["program"] = d["program"]
            values["kind"] = d["kind"]
        if "hear_back_by" in self.fields:
            values["hear_back_by"] = d.get("hear_back_by")
        return values


class CancelForm(Form):
    reason = forms.CharField(
        required=False,
        widget=Paragraphs(attrs={"rows": 3}),
        help_text="Kept in the audit trail; invitees receive a calendar cancellation.",
    )


class HeldForm(Form):
    """When the session actually ended, as a wall-clock date and time in the session's zone
    (the service reads it there); starts at the planned end, or the end already confirmed."""

    end_date = forms.DateField(label="Ended on", widget=DateInput())
    end_time = forms.TimeField(label="Ended at", widget=TimeInput())
    version = VersionField()

    @staticmethod
    def initial_for(session: Session) -> dict[str, Any]:
        end = session.ended_at.astimezone(session.tz)
        return {
            "end_date": end.date(),
            "end_time": end.time().replace(tzinfo=None, second=0, microsecond=0),
            "version": session.version,
        }

    def actual_end(self) -> datetime:
        return datetime.combine(self.cleaned_data["end_date"], self.cleaned_data["end_time"])


# The service names the one field; the form has two.
HELD_FIELD_MAP = {"actual_end": "end_time"}


class AgendaItemForm(Form):
    title = forms.CharField(max_length=160, required=False, validators=[validate_one_line])
    minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"class": "minutes", "min": 1, "max": 1440}),
    )
    notes = forms.CharField(max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.has_changed() and not self.errors:
            if not (data.get("title") or "").strip():
                self.add_error("title", "Give this item a title, or remove the row.")
            if data.get("minutes") is None:
                self.add_error("minutes", "How many minutes?")
        return data


AgendaFormSet = forms.formset_factory(AgendaItemForm, extra=2, can_delete=True, can_order=True)


class PracticeForm(Form):
    practice = forms.ModelChoiceField(
        queryset=Session.objects.none(),
        required=False,
        empty_label="No practice session",
        label="Practice session",
        help_text="A practice session of the same program, before this one.",
    )

    def __init__(
        self,
        *args: Any,
        choices: QuerySet[Session],
        shown: Iterable[Session] | None = None,
        **kwargs: Any,
    ) -> None:
        """``choices``: what a posted value may be; ``shown``: the options offered, when
        fewer than all (a page of the picker: the select stays short however many practice
        sessions the program holds)."""
        super().__init__(*args, **kwargs)
        self.offer(choices, shown)

    def offer(self, choices: QuerySet[Session], shown: Iterable[Session] | None = None) -> None:
        field = self.fields["practice"]
        field.queryset = choices  # type: ignore[attr-defined]
        if shown is not None:
            field.widget.choices = [
                ("", field.empty_label),  # type: ignore[attr-defined]
                *((s.pk, practice_label(s)) for s in shown),
            ]


def practice_label(session: Session) -> str:
    """An option of the practice picker: its title and its local date."""
    return f"{session.title} ({dates.short(session.local_start)})"


class OutreachForm(Form):
    contacts = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one contact."},
    )
    message = forms.CharField(
        required=False,
        widget=Paragraphs(attrs={"rows": 4}),
        label="Message to the account owner",
        help_text="Why these people, and what they will be asked. The owner sees it.",
    )

    def __init__(self, *args: Any, contact_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacts"].choices = [(i, str(i)) for i in contact_ids]  # type: ignore[attr-defined]


class DecideForm(Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("decline", "Decline")], widget=forms.HiddenInput
    )
    conditions = forms.CharField(
        required=False,
        widget=Paragraphs(attrs={"rows": 3}),
        label="Conditions (optional)",
        help_text='e.g. "Do not discuss pricing". Every internal participant reads them in '
        "their briefing.",
    )
    reason = forms.CharField(
        required=False,
        widget=Paragraphs(attrs={"rows": 3}),
        label="Reason for declining",
        help_text="Needed to decline, so the facilitator can respond.",
    )


class BatchDecideForm(Form):
    """Approvals: decide one or several requests at once (the ids the owner saw)."""

    request = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), widget=forms.MultipleHiddenInput
    )
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    conditions = forms.CharField(required=False, label="Conditions (optional)")
    reason = forms.CharField(required=False, label="Reason for declining")
    batch = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, request_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["request"].choices = [(i, str(i)) for i in request_ids]  # type: ignore[attr-defined]


class WaiveForm(Form):
    reason = forms.CharField(
        required=False,
        widget=Paragraphs(attrs={"rows": 2}),
        label="Reason for the waiver",
        help_text="Kept in the audit trail; the account owner is told.",
    )


class WithdrawForm(Form):
    reason = forms.CharField(
        widget=Paragraphs(attrs={"rows": 2}),
        label="Why you withdraw it",
        help_text="The facilitator is told; the audit trail keeps it.",
    )


class ParticipantForm(Form):
    user = MemberChoiceField(queryset=User.objects.none(), empty_label="Choose a member")
    role = forms.ChoiceField(choices=ParticipantRole.choices, initial=ParticipantRole.OBSERVER)

    def __init__(
        self, *args: Any, members: QuerySet[User], shown: list[User], **kwargs: Any
    ) -> None:
        """``members``: whom a posted value may name (every member); ``shown``: the options
        offered (the first few and the chosen one: accounts.selectors.offered_members)."""
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.queryset = members  # type: ignore[attr-defined]
        field.widget.choices = [
            ("", field.empty_label),  # type: ignore[attr-defined]
            *((u.pk, u.full_name or u.email) for u in shown),
        ]


class QuestionForm(Form):
    text = forms.CharField(
        required=False,
        max_length=1000,  # the service says what is too long, beside the field
        label="Your question",
        widget=Paragraphs(attrs={"rows": 2}),
        help_text="What you most want to ask the customers at the end of the session.",
    )


class RsvpForm(Form):
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    note = forms.CharField(
        required=False,
        max_length=500,
        label="A note for the organiser (optional)",
        widget=Paragraphs(attrs={"rows": 3}),
    )


class RsvpEmailsForm(Form):
    rsvp_emails = forms.ChoiceField(
        label="RSVP emails",
        choices=RsvpEmails.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose each answer, a daily digest or no emails.",
            "invalid_choice": "Choose each answer, a daily digest or no emails.",
        },
    )


class InvitationOpeningForm(Form):
    opening = forms.CharField(
        required=False,
        label="Opening",
        help_text=(
            "The first words of the invitation email, after “Hello” and the invitee's "
            "name. Plain text; leave a blank line between paragraphs. The session's time, "
            "place, agenda and the personal answer link follow it. Empty: the standard "
            "opening."
        ),
        widget=Paragraphs(attrs={"rows": 7}),
    )
    version = VersionField()
