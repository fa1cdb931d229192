"""The debrief API: the actions area. Action items of approved recommendations: list (mine,
a program's, a status, overdue), create, change (409 on a stale version), move along with a
note, read the timeline, reassign."""

import dataclasses
import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from traction.accounts.schemas import UserRefOut
from traction.core import permissions
from traction.core.api import (
    ABSENT,
    MAX_ID,
    FilterSchema,
    InputSchema,
    IsoDate,
    ObjectId,
    OneLine,
    Pagination,
    responses,
    viewer,
)
from traction.core.paging import Shaped
from traction.debrief import selectors_actions as selectors
from traction.debrief.models import ActionItem, ActionUpdate, Recommendation
from traction.debrief.services import actions as services

router = Router(tags=["debrief"])

StatusValue = Literal["open", "in_progress", "blocked", "done", "dropped"]
VERSION_HELP = (
    "The version you read. If someone saved the action since, nothing changes and the answer "
    "is 409; leave it out to overwrite whatever is current."
)


class ActionItemOut(Schema):
    id: int
    version: int
    title: str
    status: StatusValue
    status_reason: str
    recommendation_id: int
    debrief_id: int
    program_id: int
    owner: UserRefOut
    contributors: list[UserRefOut]
    planned_start: dt.date | None
    due_on: dt.date
    customer_visible: bool
    overdue: bool
    ownerless: bool = Field(description="The owner left the workspace: it needs a new owner.")
    ownerless_since: dt.datetime | None
    started_at: dt.datetime | None
    done_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_debrief_id(obj: ActionItem) -> int:
        return obj.recommendation.debrief_id

    @staticmethod
    def resolve_contributors(obj: ActionItem) -> list[Any]:
        return list(obj.contributors.all())

    @staticmethod
    def resolve_overdue(obj: ActionItem) -> bool:
        return obj.is_overdue

    @staticmethod
    def resolve_ownerless(obj: ActionItem) -> bool:
        return obj.ownerless_since is not None


class ActionUpdateOut(Schema):
    id: int
    status: StatusValue
    note: str
    due_on: dt.date | None = Field(description="The due date from this entry on, if it set one.")
    by_id: int | None
    by_label: str
    at: dt.datetime


class ActionFilters(FilterSchema):
    owner: Literal["me", ""] = Field(
        "", description="me: only the actions you own or contribute to."
    )
    program_id: ObjectId = Field(ABSENT, description="Only this program's actions.")
    debrief_id: ObjectId = Field(ABSENT, description="Only this debrief's actions.")
    status: Literal[StatusValue, ""] = ""
    overdue: bool = Field(ABSENT, description="true: only overdue; false: none overdue.")


class ActionCreateIn(InputSchema):
    recommendation_id: ObjectId = Field(description="An approved recommendation.")
    title: OneLine = Field(min_length=1, max_length=200)
    owner_id: ObjectId = Field(
        description="The one accountable owner: a current member, not an observer."
    )
    due_on: IsoDate
    planned_start: IsoDate | None = None
    contributor_ids: list[ObjectId] = Field([], max_length=services.CONTRIBUTORS_MAX)
    customer_visible: bool = False
    note: OneLine = Field("", max_length=services.NOTE_MAX)


class ActionUpdateIn(InputSchema):
    """Only the fields sent change; a new due date or owner goes on the timeline with
    ``note``."""

    title: OneLine = Field(ABSENT, min_length=1, max_length=200)
    owner_id: ObjectId = Field(ABSENT)
    due_on: IsoDate = Field(ABSENT)
    planned_start: IsoDate | None = None
    contributor_ids: list[ObjectId] = Field(ABSENT, max_length=services.CONTRIBUTORS_MAX)
    customer_visible: bool = Field(ABSENT)
    note: OneLine = Field("", max_length=services.NOTE_MAX)
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class StatusIn(InputSchema):
    status: StatusValue
    note: OneLine = Field(min_length=1, max_length=services.NOTE_MAX)
    reason: OneLine = Field(
        "", max_length=services.REASON_MAX, description="Required for blocked and dropped."
    )
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class ReassignIn(InputSchema):
    owner_id: ObjectId
    note: OneLine = Field("", max_length=services.NOTE_MAX)
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


def _fresh(request: HttpRequest, action_id: int) -> ActionItem:
    return selectors.action(viewer(request), action_id)


@router.get(
    "/action-items",
    response=responses({200: list[ActionItemOut]}),
    operation_id="list_action_items",
    summary="List action items",
)
@paginate(Pagination)
def list_action_items(request: HttpRequest, filters: Query[ActionFilters]) -> QuerySet[ActionItem]:
    """The action items you may see, soonest due first."""
    f = filters.model_dump()
    return selectors.filtered(
        viewer(request),
        mine=f["owner"] == "me",
        program_id=f["program_id"],
        debrief_id=f["debrief_id"],
        status=f["status"],
        overdue=f["overdue"],
    ).prefetch_related("contributors")


@router.post(
    "/action-items",
    # 404: the recommendation is not one you may see.
    response=responses({201: ActionItemOut}, body=True, object_path=True),
    operation_id="create_action_item",
    summary="Create an action item for an approved recommendation",
)
def create_action_item(request: HttpRequest, payload: ActionCreateIn) -> Status[ActionItem]:
    v = viewer(request)
    data = payload.model_dump()
    rec = permissions.get(
        v, "debrief.view", Recommendation.objects.all(), pk=data.pop("recommendation_id")
    )
    action = services.create_action(v, recommendation=rec, **data)
    return Status(201, _fresh(request, action.pk))


@router.get(
    "/action-items/{action_id}",
    response=responses({200: ActionItemOut}, object_path=True),
    operation_id="get_action_item",
    summary="Get an action item",
)
def get_action_item(request: HttpRequest, action_id: int) -> ActionItem:
    return _fresh(request, action_id)


@router.patch(
    "/action-items/{action_id}",
    response=responses({200: ActionItemOut}, body=True, object_path=True, versioned=True),
    operation_id="update_action_item",
    summary="Change an action item's title, dates, owner, contributors or visibility",
)
def update_action_item(request: HttpRequest, action_id: int, payload: ActionUpdateIn) -> ActionItem:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    note = changes.pop("note", "")
    action = selectors.action(v, action_id)
    services.update_action(v, action=action, changes=changes, version=version, note=note)
    return _fresh(request, action_id)


@router.post(
    "/action-items/{action_id}/status",
    response=responses({200: ActionItemOut}, body=True, object_path=True, versioned=True),
    operation_id="change_action_item_status",
    summary="Move an action item along, with a progress note",
)
def change_action_item_status(
    request: HttpRequest, action_id: int, payload: StatusIn
) -> ActionItem:
    """A new status with its note (``reason`` for blocked and dropped). The status it has
    already, with a note, is a progress note alone: onto the timeline, the status kept (a
    blocked or dropped action's reason may be restated, not required), announced as
    ``action_item.updated``."""
    v = viewer(request)
    action = selectors.action(v, action_id)
    services.change_status(
        v,
        action,
        payload.status,
        payload.note,
        reason=payload.reason,
        version=payload.version,
    )
    return _fresh(request, action_id)


@router.get(
    "/action-items/{action_id}/timeline",
    response=responses({200: list[ActionUpdateOut]}, object_path=True),
    operation_id="action_item_timeline",
    summary="An action item's timeline: every status change, new date and new owner",
)
@paginate(Pagination)
def action_item_timeline(request: HttpRequest, action_id: int) -> QuerySet[ActionUpdate]:
    return selectors.timeline(_fresh(request, action_id))


@router.post(
    "/action-items/{action_id}/reassign",
    response=responses({200: ActionItemOut}, body=True, object_path=True, versioned=True),
    operation_id="reassign_action_item",
    summary="Give an action item a new owner (the way out of ownerless)",
)
def reassign_action_item(request: HttpRequest, action_id: int, payload: ReassignIn) -> ActionItem:
    v = viewer(request)
    action = selectors.action(v, action_id)
    services.reassign(
        v, action=action, owner_id=payload.owner_id, note=payload.note, version=payload.version
    )
    return _fresh(request, action_id)


def _seconds(span: dt.timedelta | None) -> float | None:
    return None if span is None else span.total_seconds()


PACE_ROWS = 50  # recommendations nested in the time-to-action answer; the rest page on their own


class PaceOut(Schema):
    recommendation_id: int
    title: str
    debrief_id: int
    session_ended_at: dt.datetime
    decided_at: dt.datetime | None = Field(description="Its first approval.")
    first_started_at: dt.datetime | None = Field(description="Its first action started.")
    done_at: dt.datetime | None = Field(
        description="When its last action was done (all done, dropped ones aside)."
    )


class TimeToActionOut(Schema):
    program_id: int
    debrief_id: int | None
    to_decision_seconds: float | None = Field(
        description="Median from the session's end to the recommendation's approval."
    )
    to_start_seconds: float | None = Field(
        description="Median from the approval to its first action started."
    )
    to_done_seconds: float | None = Field(
        description="Median from the first action started to the last one done."
    )
    total_seconds: float | None = Field(description="Median from the session's end to done.")
    recommendations: list[PaceOut] = Field(
        description=f"The first {PACE_ROWS} recommendations measured, oldest first; all of them "
        "page from GET /programs/{program_id}/time-to-action/recommendations."
    )
    recommendations_count: int = Field(description="How many approved recommendations, in all.")


@router.get(
    "/programs/{program_id}/time-to-action",
    response=responses({200: TimeToActionOut}, object_path=True),
    operation_id="program_time_to_action",
    summary="Time to action of a program's approved recommendations (or one debrief's)",
)
def program_time_to_action(
    request: HttpRequest,
    program_id: int,
    debrief_id: int | None = Query(None, ge=1, le=MAX_ID),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Session end → recommendation approved → first action started → all its actions done,
    with the median of each stage (in seconds; null until at least one recommendation got
    that far) over the approved recommendations the caller may see, and the first of them."""
    from traction.programs import selectors as programs

    v = viewer(request)
    program = programs.program(v, program_id)
    pace = selectors.time_to_action(
        v, program_id=program.pk, debrief_id=debrief_id, with_rows=PACE_ROWS
    )
    return {
        "program_id": program.pk,
        "debrief_id": debrief_id,
        "to_decision_seconds": _seconds(pace.to_decision),
        "to_start_seconds": _seconds(pace.to_start),
        "to_done_seconds": _seconds(pace.to_done),
        "total_seconds": _seconds(pace.total),
        "recommendations": [dataclasses.asdict(r) for r in pace.rows],
        "recommendations_count": pace.count,
    }


@router.get(
    "/programs/{program_id}/time-to-action/recommendations",
    response=responses({200: list[PaceOut]}, object_path=True),
    operation_id="list_time_to_action",
    summary="Each approved recommendation's way from the session's end to done (paged)",
)
@paginate(Pagination)
def list_time_to_action(
    request: HttpRequest,
    program_id: int,
    debrief_id: int | None = Query(None, ge=1, le=MAX_ID),  # type: ignore[type-arg]
) -> Any:
    """The approved recommendations of the program (or of one of its debriefs) the caller may
    see, oldest first: when the session ended, the first approval, the first action started
    and the last action done."""
    from traction.programs import selectors as programs

    v = viewer(request)
    program = programs.program(v, program_id)
    return Shaped(
        selectors.paces(v, program_id=program.pk, debrief_id=debrief_id),
        lambda rows, _offset: [dataclasses.asdict(selectors.pace(r)) for r in rows],
    )
