"""API shapes for sessions, outreach, invitations, participants, briefings and top questions.

No rules here: services and models hold them.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import cache
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator

from traction.accounts.schemas import UserRefOut
from traction.core.api import (
    ABSENT,
    MAX_ID,
    FilterSchema,
    InputSchema,
    IsoDate,
    ObjectId,
    OneLine,
    Text,
)

from .models import Invitation, OutreachRequest, Session, TopQuestion

# Spelled out so the OpenAPI document lists them; a test keeps them equal to the models' choices.
KindValue = Literal["co_design", "cab_meeting", "interview", "practice"]
OutreachStatusValue = Literal["pending", "approved", "declined", "waived"]
RoleValue = Literal["facilitator", "junior_facilitator", "note_taker", "observer", "executive"]

VERSION_HELP = (
    "The version you read. If someone saved the session since, nothing changes and the "
    "answer is 409; leave it out to overwrite whatever is current."
)
IDS_LIMIT = 500
AGENDA_LIMIT = 100


# --- input types ----------------------------------------------------------------------------

_LOCAL_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # date
    r"[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"  # time
    r"(Z|[+-]\d{2}:?\d{2})?"  # optional offset
)
# Far enough from datetime's limits that no time zone's offset overflows them.
_FIRST_YEAR, _LAST_YEAR = 1900, 9998


def _local_datetime(value: Any) -> Any:
    # A wall-clock time read in the session's time zone (naive), or an instant (with offset).
    # Naive values stay naive: the service localises them in ``time_zone``, DST-safely.
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and _LOCAL_DATETIME.fullmatch(value):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("Enter a real date and time in ISO 8601.") from None
    else:
        raise ValueError(
            "Enter a date and time in ISO 8601: local to time_zone like 2027-03-04T09:00, "
            "or with an offset like 2027-03-04T09:00+01:00."
        )
    if not _FIRST_YEAR <= parsed.year <= _LAST_YEAR:
        raise ValueError(f"Enter a year between {_FIRST_YEAR} and {_LAST_YEAR}.")
    if parsed.tzinfo is not None:
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("This time is out of range.") from None
    return parsed


LocalDateTime = Annotated[dt.datetime, BeforeValidator(_local_datetime)]


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> str:
    if value not in _zone_names():
        raise ValueError(f"Unknown time zone “{value}”; use a name like Europe/Berlin.")
    return value


TimeZone = Annotated[str, AfterValidator(_time_zone)]

TIMES_HELP = (
    "Local wall-clock time in `time_zone` (e.g. 2027-03-04T09:00), or an instant with an "
    "offset (e.g. 2027-03-04T08:00Z)."
)


# --- sessions -------------------------------------------------------------------------------


class AgendaItemOut(Schema):
    position: int
    title: str
    minutes: int
    notes: str


class SessionOut(Schema):
    id: int
    program_id: int
    kind: str
    title: str
    starts_at: dt.datetime = Field(description="In UTC.")
    ends_at: dt.datetime = Field(description="In UTC.")
    time_zone: str
    local_start: dt.datetime = Field(description="The start in the session's time zone.")
    local_end: dt.datetime = Field(description="The end in the session's time zone.")
    length_minutes: int
    location: str
    video_link: str
    status: str = Field(description="planned or cancelled.")
    practice_id: int | None = Field(description="The practice session rehearsing this one.")
    calendar_sequence: int
    held_at: dt.datetime | None = Field(
        description="When the facilitator marked it held (in UTC); null: not marked held."
    )
    actual_ends_at: dt.datetime | None = Field(
        description="When it actually ended, as confirmed when marked held (in UTC)."
    )
    hear_back_by: dt.date | None = Field(
        description='The date its customers were promised to hear back (its "Next steps"); '
        "null: no promise recorded."
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_program_id(obj: Session) -> int:
        return int(obj.program_id)

    # A session just planned or changed holds its times in its own zone; read ones in UTC.
    @staticmethod
    def resolve_starts_at(obj: Session) -> dt.datetime:
        return obj.starts_at.astimezone(dt.UTC)

    @staticmethod
    def resolve_ends_at(obj: Session) -> dt.datetime:
        return obj.ends_at.astimezone(dt.UTC)

    @staticmethod
    def resolve_held_at(obj: Session) -> dt.datetime | None:
        return obj.held_at.astimezone(dt.UTC) if obj.held_at else None

    @staticmethod
    def resolve_actual_ends_at(obj: Session) -> dt.datetime | None:
        return obj.actual_ends_at.astimezone(dt.UTC) if obj.actual_ends_at else None


class ReadinessCheckOut(Schema):
    key: str
    label: str
    done: bool
    detail: str


class ReadinessOut(Schema):
    percent: int
    checks: list[ReadinessCheckOut]


class SessionDetailOut(SessionOut):
    agenda: list[AgendaItemOut]
    agenda_minutes: int = Field(description="The agenda's total, to compare with the length.")
    readiness: ReadinessOut

    @staticmethod
    def resolve_agenda(obj: Session) -> list[Any]:
        return list(obj.agenda.all())

    @staticmethod
    def resolve_agenda_minutes(obj: Session) -> int:
        return sum(item.minutes for item in obj.agenda.all())

    @staticmethod
    def resolve_readiness(obj: Session, context: Any) -> Any:
        from traction.core.permissions import Viewer

        from .selectors import readiness

        auth = getattr((context or {}).get("request"), "auth", None)
        return readiness(obj, auth if isinstance(auth, Viewer) else None)


class PlannedSessionOut(SessionDetailOut):
    warnings: list[str] = Field(
        description="Why the session just planned may be a mistake, though it was saved: its "
        "end is already past, so it is recorded as a session held in the past (a debrief it "
        "needs is due 24 hours from now). Empty when it lies ahead."
    )

    @staticmethod
    def resolve_warnings(obj: Session) -> list[str]:
        from traction.sessions.services import past_warning

        warning = past_warning(obj)
        return [warning] if warning else []


class SessionCreateIn(InputSchema):
    program_id: ObjectId
    kind: KindValue = "co_design"
    title: OneLine = Field(min_length=1, max_length=160)
    starts_at: LocalDateTime = Field(description=TIMES_HELP)
    ends_at: LocalDateTime = Field(description=TIMES_HELP)
    time_zone: TimeZone = Field("UTC", max_length=64, description="An IANA name: Europe/Berlin.")
    location: Text = Field("", max_length=200, description="Room and address.")
    video_link: Text = Field("", max_length=200, json_schema_extra={"format": "uri"})
    use_template: bool = Field(True, description="Start the agenda from the kind's template.")


class SessionUpdateIn(InputSchema):
    """Only the fields sent change. A new time, place or link sends invitees an update."""

    kind: KindValue = Field(ABSENT)
    title: OneLine = Field(ABSENT, min_length=1, max_length=160)
    starts_at: LocalDateTime = Field(ABSENT, description=TIMES_HELP)
    ends_at: LocalDateTime = Field(ABSENT, description=TIMES_HELP)
    time_zone: TimeZone = Field(ABSENT, max_length=64, description="An IANA name: Europe/Berlin.")
    location: Text = Field(ABSENT, max_length=200)
    video_link: Text = Field(ABSENT, max_length=200, json_schema_extra={"format": "uri"})
    hear_back_by: IsoDate | None = Field(
        ABSENT,
        description="When its customers will hear back (a date, not before the session "
        "starts; null: none). The only field that still changes once the session is over.",
    )
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class SessionFilters(FilterSchema):
    program_id: ObjectId = Field(ABSENT, description="Only this program's sessions.")
    kind: Literal[KindValue, ""] = ""
    upcoming: bool = Field(
        ABSENT, description="Only sessions not over yet (true), or only past ones (false)."
    )


class HeldIn(InputSchema):
    actual_end: LocalDateTime | None = Field(
        None,
        description=(
            "When it actually ended: local wall-clock time in the session's time zone (e.g. "
            "2027-03-04T17:30), or an instant with an offset. Left out: the planned end. "
            "Sent again, it corrects the end."
        ),
    )
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class CancelIn(InputSchema):
    reason: Text = Field(min_length=1, max_length=2000, description="Kept in the audit trail.")


class AgendaItemIn(InputSchema):
    title: OneLine = Field(min_length=1, max_length=160)
    minutes: int = Field(ge=1, le=24 * 60)
    notes: Text = Field("", max_length=300)


class AgendaIn(InputSchema):
    """The whole agenda, in order: it replaces the current one."""

    items: list[AgendaItemIn] = Field(max_length=AGENDA_LIMIT)


class PracticeIn(InputSchema):
    practice_id: ObjectId | None = Field(
        description="A practice session of the same program, before this one; null: none."
    )


# --- outreach -------------------------------------------------------------------------------


class OutreachRequestOut(Schema):
    id: int
    session_id: int
    session_title: str
    contact_id: int
    contact_name: str
    customer_id: int
    customer_name: str
    account_owner_id: int | None = Field(description="Who decides: the customer's account owner.")
    account_owner: UserRefOut | None
    requested_by_id: int | None
    requested_by: UserRefOut | None
    message: str
    status: str = Field(description="pending, approved, declined or waived.")
    conditions: str = Field(description="The account owner's conditions, shown in briefings.")
    reason: str = Field(description="Why it was declined or waived.")
    decided_by_id: int | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    age_seconds: int = Field(description="Since it was filed, until it was decided.")
    invited: bool = Field(description="Whether the contact has been invited.")
    batch: str = Field(
        description="The requests asked together share it: their owner gets one email for them."
    )

    @staticmethod
    def resolve_batch(obj: OutreachRequest) -> str:
        return str(obj.batch)

    @staticmethod
    def resolve_session_title(obj: OutreachRequest) -> str:
        return obj.session.title

    @staticmethod
    def resolve_contact_name(obj: OutreachRequest) -> str:
        return obj.contact.name

    @staticmethod
    def resolve_customer_id(obj: OutreachRequest) -> int:
        return int(obj.contact.customer_id)

    @staticmethod
    def resolve_customer_name(obj: OutreachRequest) -> str:
        return obj.contact.customer.name

    @staticmethod
    def resolve_age_seconds(obj: OutreachRequest) -> int:
        return max(0, int(obj.age.total_seconds()))

    @staticmethod
    def resolve_invited(obj: OutreachRequest) -> bool:
        annotated: bool | None = getattr(obj, "invited", None)
        if annotated is not None:
            return annotated
        return Invitation.objects.filter(outreach_id=obj.pk).exists()


class OutreachRequestIn(InputSchema):
    contact_id: ObjectId
    message: Text = Field(
        "", max_length=2000, description="Why this contact, what they will be asked."
    )


class OutreachDecisionIn(InputSchema):
    approve: bool
    conditions: Text = Field(
        "", max_length=2000, description="With an approval: e.g. “do not discuss pricing”."
    )
    reason: Text = Field("", max_length=2000, description="Required to decline.")


class OutreachBatchIn(InputSchema):
    contact_ids: list[ObjectId] = Field(min_length=1, max_length=200)
    message: Text = Field(
        "", max_length=2000, description="Why these contacts, what they will be asked."
    )


class OutreachRefusalOut(Schema):
    contact_id: int
    detail: str = Field(description="Why this contact was not requested.")


class OutreachBatchOut(Schema):
    requested: list[OutreachRequestOut] = Field(
        description="The requests made; they share one batch (one email per account owner)."
    )
    refused: list[OutreachRefusalOut]


class OutreachBatchDecisionItemIn(OutreachDecisionIn):
    request_id: ObjectId


class OutreachBatchDecisionIn(InputSchema):
    decisions: list[OutreachBatchDecisionItemIn] = Field(min_length=1, max_length=200)


class WaiverIn(InputSchema):
    reason: Text = Field(min_length=1, max_length=2000, description="Kept in the audit trail.")


class WithdrawalIn(InputSchema):
    reason: Text = Field(
        min_length=1,
        max_length=2000,
        description="Why; the facilitator is told, the trail keeps it.",
    )


class OutreachFilters(FilterSchema):
    session_id: ObjectId = Field(ABSENT, description="Only this session's requests.")
    status: Literal[OutreachStatusValue, ""] = ""
    mine: bool = Field(False, description="Only requests waiting for your decision.")


# --- invitations ----------------------------------------------------------------------------


class SessionInvitationOut(Schema):
    id: int
    session_id: int
    outreach_id: int
    contact_id: int
    contact_name: str
    customer_name: str
    rsvp: str = Field(
        description=(
            "invited (no answer yet), accepted, declined, or reconfirm (had accepted; the "
            "session moved and they are asked to confirm the new time: not accepted yet)."
        )
    )
    rsvp_note: str
    responded_at: dt.datetime | None
    sent_at: dt.datetime = Field(description="When the invitation was made (and its email queued).")
    delivery: str = Field(
        description="The last email's fate: queued (sending), delivered (the mail server took "
        "it), failed (not delivered; see delivery_error) or untracked (sent before Traction "
        "tracked delivery: not known)."
    )
    delivery_error: str = Field(description="Why the last email was not delivered; else empty.")
    delivered_at: dt.datetime | None
    last_sequence_sent: int

    @staticmethod
    def resolve_contact_name(obj: Invitation) -> str:
        return obj.contact.name

    @staticmethod
    def resolve_customer_name(obj: Invitation) -> str:
        return obj.contact.customer.name


# --- participants and briefings ----------------------------------------------------------------


class ParticipantOut(Schema):
    id: int
    session_id: int
    user: UserRefOut
    role: str
    briefing_acknowledged_at: dt.datetime | None
    attended_practice: bool
    added_at: dt.datetime


class ParticipantIn(InputSchema):
    user_id: ObjectId = Field(description="A member of the workspace.")
    role: RoleValue


class AttendanceIn(InputSchema):
    attended: bool


class BriefingFilters(FilterSchema):
    participant_id: ObjectId = Field(
        ABSENT, description="Another participant's briefing (facilitators); default: yours."
    )


class BriefingCustomerOut(Schema):
    organisation: str
    segment: str
    contact: str
    title: str
    account_owner: str
    conditions: str = Field(description="What the account owner asked of the session.")
    rsvp: str


class PracticeRefOut(Schema):
    id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    time_zone: str


class BriefingOut(Schema):
    session: SessionOut
    participant: ParticipantOut
    role_duty: str = Field(description="What the participant's role does in the session.")
    rules: list[str] = Field(description="The rules of participation.")
    agenda: list[AgendaItemOut]
    customers: list[BriefingCustomerOut]
    practice: PracticeRefOut | None


# --- top questions ----------------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    session_id: int
    author_id: int | None
    text: str
    picked: bool
    position: int | None = Field(description="Order among the picked questions.")
    vote_count: int
    voted: bool = Field(description="Whether you upvoted it.")
    created_at: dt.datetime

    # The API keeps its field names ("vote_count", "voted"); the code says upvotes.
    @staticmethod
    def resolve_vote_count(obj: TopQuestion) -> int:
        annotated: int | None = getattr(obj, "upvote_count", None)
        return annotated if annotated is not None else obj.upvotes.count()

    @staticmethod
    def resolve_voted(obj: TopQuestion, context: Any) -> bool:
        annotated: bool | None = getattr(obj, "upvoted", None)
        if annotated is not None:
            return annotated
        auth = getattr((context or {}).get("request"), "auth", None)
        user_id = getattr(auth, "user_id", None)
        return user_id is not None and obj.upvotes.filter(user_id=user_id).exists()


class QuestionIn(InputSchema):
    text: Text = Field(min_length=1, max_length=300)


class UpvoteIn(InputSchema):
    up: bool = Field(description="true to upvote, false to take your upvote back.")


class UpvoteOut(Schema):
    question_id: int
    vote_count: int
    voted: bool


class PickIn(InputSchema):
    question_ids: list[ObjectId] = Field(
        max_length=IDS_LIMIT, description="The questions to ask, in order; the rest are not."
    )
