"""The debrief API: the clock area (debriefs with their deadline and booked slot, moving the
slot, answering it, the workspace's debrief settings)."""

import datetime as dt
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router
from ninja.pagination import paginate
from pydantic import BaseModel

from traction.core import permissions
from traction.core.api import (
    ABSENT,
    FilterSchema,
    InputSchema,
    ObjectId,
    OneLine,
    OutputSchema,
    Pagination,
    Text,
    responses,
    viewer,
)
from traction.debrief import selectors_clock as selectors
from traction.debrief.models import Debrief
from traction.debrief.services import clock as services
from traction.sessions.schemas import LocalDateTime

router = Router(tags=["debrief"])

Timeliness = Literal["due", "on_time", "late", "missed", "cancelled"]
Answer = Literal["accepted", "declined", "tentative"]


class DebriefOut(OutputSchema):
    id: int
    session_id: int
    program_id: int
    status: str
    timeliness: Timeliness
    due_at: dt.datetime
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    video_link: str
    calendar_sequence: int
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    invited_count: int = 0
    accepted_count: int = 0
    policy_maker_accepted: bool = False
    version: int


class AttendeeOut(BaseModel):
    user_id: int
    name: str
    is_policy_maker: bool
    response: str


class ClockEventOut(OutputSchema):
    kind: str
    at: dt.datetime
    due_at: dt.datetime
    note: str


class DebriefDetailOut(DebriefOut):
    attendees: list[AttendeeOut]
    clock_events: list[ClockEventOut]


class BookingOut(DebriefDetailOut):
    warnings: list[str] = Field(
        description="Why the slot just booked is a problem, though it was saved (as the web "
        "form warns): it starts after the deadline (the debrief will be late), or more than "
        "the grace period after it (it will count as missed). Empty when the slot is fine."
    )


class DebriefFilters(FilterSchema):
    program_id: ObjectId | None = None
    timeliness: Timeliness | None = None


class BookingIn(InputSchema):
    starts_at: LocalDateTime = Field(
        description="The slot's start: with an offset, or a wall-clock time in the session's "
        "time zone (e.g. 2027-03-02T09:00:00)."
    )
    minutes: int = Field(180, ge=30, le=480)
    location: OneLine = Field(ABSENT, max_length=200)
    video_link: Text = Field(ABSENT, max_length=200)
    version: ObjectId | None = None


class RespondIn(InputSchema):
    answer: Answer


class SettingsOut(BaseModel):
    kinds: list[str]
    default_minutes: int


class SettingsIn(InputSchema):
    kinds: list[str]
    default_minutes: int = Field(ge=30, le=480)


def _detail(debrief: Debrief) -> DebriefDetailOut:
    out = DebriefOut.model_validate(debrief).model_dump()
    return DebriefDetailOut(
        **out,
        attendees=[
            AttendeeOut(
                user_id=a.user_id,
                name=a.user.full_name or a.user.email,
                is_policy_maker=a.is_policy_maker,
                response=a.response,
            )
            for a in selectors.attendees(debrief)
        ],
        clock_events=[ClockEventOut.model_validate(e) for e in debrief.clock_events.all()],
    )


@router.get(
    "/debriefs",
    response=responses({200: list[DebriefOut]}),
    operation_id="list_debriefs",
    summary="List debriefs",
)
@paginate(Pagination)
def list_debriefs(request: HttpRequest, filters: Query[DebriefFilters]) -> QuerySet[Debrief]:
    """The debriefs you may see, latest deadline first; `timeliness` is due, on_time, late,
    missed or cancelled."""
    f = filters.model_dump()
    return selectors.debriefs(
        viewer(request), program_id=f["program_id"], timeliness=f["timeliness"] or ""
    )


@router.get(
    "/debriefs/{debrief_id}",
    response=responses({200: DebriefDetailOut}, object_path=True),
    operation_id="get_debrief",
    summary="Get a debrief: its deadline, booked slot, invitees and clock",
)
def get_debrief(request: HttpRequest, debrief_id: int) -> DebriefDetailOut:
    return _detail(selectors.debrief(viewer(request), debrief_id))


@router.put(
    "/debriefs/{debrief_id}/booking",
    response=responses({200: BookingOut}, body=True, object_path=True, versioned=True),
    operation_id="update_debrief_booking",
    summary="Move a debrief's booked slot (invitees get a calendar update)",
)
def update_booking(request: HttpRequest, debrief_id: int, payload: BookingIn) -> BookingOut:
    """The slot is saved even when it starts after the deadline; `warnings` then says the
    debrief will be late (or counted as missed), as the web form does."""
    v = viewer(request)
    debrief = selectors.debrief(v, debrief_id, action="debrief.run")
    body = payload.model_dump(exclude_unset=True)
    services.update_booking(
        v,
        debrief=debrief,
        starts_at=body["starts_at"],
        minutes=body.get("minutes", payload.minutes),
        location=body.get("location", debrief.location),
        video_link=body.get("video_link", debrief.video_link),
        version=body.get("version"),
    )
    saved = selectors.debrief(v, debrief_id)
    warning = saved.slot_warning
    return BookingOut(**_detail(saved).model_dump(), warnings=[warning] if warning else [])


@router.post(
    "/debriefs/{debrief_id}/respond",
    response=responses({200: DebriefDetailOut}, body=True, object_path=True),
    operation_id="respond_to_debrief",
    summary="Accept, decline or tentatively accept the debrief you are invited to",
)
def respond(request: HttpRequest, debrief_id: int, payload: RespondIn) -> DebriefDetailOut:
    v = viewer(request)
    debrief = selectors.debrief(v, debrief_id, action="debrief.respond")
    services.respond(v, debrief=debrief, answer=payload.answer)
    return _detail(selectors.debrief(v, debrief_id))


@router.get(
    "/debrief-settings",
    response=responses({200: SettingsOut}),
    operation_id="get_debrief_settings",
    summary="Which session kinds need a debrief, and its default length",
)
def get_settings(request: HttpRequest) -> SettingsOut:
    v = viewer(request)
    permissions.check(v, "debrief.settings")
    found = services.settings_of(v.workspace_id)
    return SettingsOut(kinds=list(found.kinds), default_minutes=found.default_minutes)


@router.put(
    "/debrief-settings",
    response=responses({200: SettingsOut}, body=True),
    operation_id="update_debrief_settings",
    summary="Choose which session kinds need a debrief, and its default length",
)
def update_settings(request: HttpRequest, payload: SettingsIn) -> SettingsOut:
    found = services.update_settings(
        viewer(request), kinds=payload.kinds, default_minutes=payload.default_minutes
    )
    return SettingsOut(kinds=list(found.kinds), default_minutes=found.default_minutes)
