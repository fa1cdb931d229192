"""The loop's API: a program's customer priorities with their statuses, proposing a status,
approving and waiving (the same approval rule as the pages), deliveries (list, create, CSV
import: all or nothing). Parse, call one selector or service, shape."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from traction.core import permissions
from traction.core.api import (
    InputSchema,
    IsoDate,
    ObjectId,
    OneLine,
    Pagination,
    Text,
    responses,
    viewer,
)
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.insights import rules as insight_rules

from . import deliveries_csv, selectors
from .api_common import approval_fields, turnaround_fields
from .models import Approval, Delivery, DeliverySource, PriorityStatus
from .services import deliveries as delivery_services
from .services import publishing
from .services import updates as update_services
from .services.approvals import WAIVE_REASON_MAX
from .services.deliveries import DESCRIPTION_MAX, Entry
from .services.statuses import CUSTOMER_REASON_MAX

router = Router(tags=["loop"])

StatusValue = Literal[
    "heard", "under_consideration", "planned", "in_progress", "delivered", "not_planned"
]
WindowValue = Literal["month", "quarter", "half"]


class PriorityApprovalOut(Schema):
    id: int
    customer_id: int
    customer: str
    account_owner_id: int | None
    state: str
    by_id: int | None
    at: dt.datetime | None
    reason: str


class PriorityStatusOut(Schema):
    id: int
    priority_id: int
    status: str
    window_kind: str
    window_start: dt.date | None
    window_end: dt.date | None
    window_label: str
    customer_reason: str
    proposed_by_id: int | None
    proposed_at: dt.datetime
    published_at: dt.datetime | None
    approvals: list[PriorityApprovalOut]


class StatusTurnaroundOut(Schema):
    decided: int
    median_seconds: float | None
    slowest_seconds: float | None


class PriorityRiskOut(Schema):
    since: dt.datetime
    reasons: list[str]
    draft: str


class CustomerPriorityOut(Schema):
    id: int
    rank: int
    kind: str
    text: str
    dots: int
    session_id: int
    current: PriorityStatusOut | None
    pending: PriorityStatusOut | None
    at_risk: PriorityRiskOut | None
    history: list[PriorityStatusOut]


class PriorityStatusProposeIn(InputSchema):
    priority_id: ObjectId
    status: StatusValue
    window_kind: WindowValue | None = None
    window_start: IsoDate | None = None
    customer_reason: Text = Field("", max_length=CUSTOMER_REASON_MAX)


class ApprovalWaiveIn(InputSchema):
    reason: Text = Field(max_length=WAIVE_REASON_MAX)


class LoopDeliveryIn(InputSchema):
    on: IsoDate
    title: OneLine = Field(max_length=delivery_services.TITLE_MAX)
    description: Text = Field("", max_length=DESCRIPTION_MAX)
    link: OneLine = Field("", max_length=delivery_services.LINK_MAX)
    external_id: OneLine = Field("", max_length=delivery_services.EXTERNAL_ID_MAX)
    priority_ids: list[ObjectId] = Field([], max_length=delivery_services.PRIORITIES_MAX)


class LoopDeliveryOut(Schema):
    id: int
    program_id: int | None
    on: dt.date
    title: str
    description: str
    link: str
    external_id: str
    source: str
    priority_ids: list[int]
    credited: list[str]
    recorded_at: dt.datetime


class LoopDeliveryImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    linked: int


def _status(
    s: PriorityStatus | None, approvals: list[Approval] | None = None, v: Viewer | None = None
) -> Any:
    """A status; its approvals as given, or those of customers ``v`` may identify."""
    if s is None:
        return None
    window = s.window
    if approvals is not None:
        found = approvals
    else:
        identify = insight_rules.visible_customer_ids(v) if v is not None else set()
        found = [
            a
            for a in s.approvals.select_related("customer")
            if identify is None or a.customer_id in identify
        ]
    return {
        "id": s.pk,
        "priority_id": s.priority_id,
        "status": s.status,
        "window_kind": s.window_kind,
        "window_start": window.start if window else None,
        "window_end": window.end if window else None,
        "window_label": window.label if window else "",
        "customer_reason": s.customer_reason,
        "proposed_by_id": s.proposed_by_id,
        "proposed_at": s.proposed_at,
        "published_at": s.published_at,
        "approvals": [approval_fields(a) for a in found],
    }


@router.get(
    "/programs/{program_id}/priorities",
    response=responses({200: list[CustomerPriorityOut]}, object_path=True),
    operation_id="list_customer_priorities",
    summary="A program's customer priorities, ranked, with their customer-facing statuses",
)
@paginate(Pagination)
def list_customer_priorities(request: HttpRequest, program_id: int) -> Any:
    """In rank order: most dots (those you may count) first, then most voters, then the
    earliest captured."""
    v = viewer(request)
    rows = selectors.priorities(v, selectors.program(v, program_id))
    return rows.then(_priority)


def _priority(r: selectors.PriorityRow) -> dict[str, Any]:
    return {
        "id": r.card.pk,
        "rank": r.rank,
        "kind": r.card.kind,
        "text": r.card.text,
        "dots": r.dots,
        "session_id": r.card.session_id,
        "current": _status(r.current, []),
        "pending": _status(r.pending, r.approvals),
        "at_risk": (
            {"since": r.risk.since, "reasons": r.risk.reasons, "draft": r.risk.draft}
            if r.risk
            else None
        ),
        "history": [_status(s, []) for s in r.history],
    }


@router.post(
    "/programs/{program_id}/priority-statuses",
    response=responses({201: PriorityStatusOut}, body=True, object_path=True),
    operation_id="propose_priority_status",
    summary="Propose a customer-facing status (refused with what is missing)",
)
def propose_priority_status(
    request: HttpRequest, program_id: int, payload: PriorityStatusProposeIn
) -> HttpStatus[dict[str, Any]]:
    """Published once each affected customer's account owner approves (at once when no
    customer is affected). 422 says what the facts lack, field by field."""
    v = viewer(request)
    program = selectors.program(v, program_id)
    found = publishing.propose_status(
        v,
        program,
        priority_id=payload.priority_id,
        status=payload.status,
        window_kind=payload.window_kind or "",
        window_start=payload.window_start,
        customer_reason=payload.customer_reason,
    )
    return HttpStatus(201, _status(found, v=v))


@router.get(
    "/programs/{program_id}/status-turnaround",
    response=responses({200: StatusTurnaroundOut}, object_path=True),
    operation_id="get_status_approval_turnaround",
    summary="How long account owners took to approve proposed statuses (median, slowest)",
)
def get_status_approval_turnaround(request: HttpRequest, program_id: int) -> dict[str, Any]:
    """Asked to approved, over the program's status approvals an account owner approved (an
    admin's waiver is not an owner's answer: left out), of the priorities you may read; the
    priorities page shows the same."""
    v = viewer(request)
    program = selectors.program(v, program_id)
    return turnaround_fields(update_services.turnaround(program.pk, kind="status", viewer=v))


@router.post(
    "/priority-status-approvals/{approval_id}/approve",
    response=responses({200: PriorityStatusOut}, object_path=True),
    operation_id="approve_priority_status",
    summary="Approve a proposed status for your own customer (account owners)",
)
def approve_priority_status(request: HttpRequest, approval_id: int) -> Any:
    v = viewer(request)
    found = publishing.approve(v, selectors.approval(v, approval_id))
    return _status(PriorityStatus.objects.get(pk=found.status_id or 0), v=v)


@router.post(
    "/priority-status-approvals/{approval_id}/waive",
    response=responses({200: PriorityStatusOut}, body=True, object_path=True),
    operation_id="waive_priority_status_approval",
    summary="Waive an account owner's approval, with a reason (admins)",
)
def waive_priority_status_approval(
    request: HttpRequest, approval_id: int, payload: ApprovalWaiveIn
) -> Any:
    v = viewer(request)
    found = publishing.waive(
        v, selectors.approval(v, approval_id, "loop.waive"), reason=payload.reason
    )
    return _status(PriorityStatus.objects.get(pk=found.status_id or 0), v=v)


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        **_delivery_fields(d),
        "priority_ids": sorted(d.links.values_list("priority_id", flat=True)),
        "credited": [c.name for c in selectors.credited(d)],
    }


def _delivery_fields(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "program_id": d.program_id,
        "on": d.on,
        "title": d.title,
        "description": d.description,
        "link": d.link,
        "external_id": d.external_id,
        "source": d.source,
        "recorded_at": d.recorded_at,
    }


@router.get(
    "/programs/{program_id}/deliveries",
    response=responses({200: list[LoopDeliveryOut]}, object_path=True),
    operation_id="list_deliveries",
    summary="A program's deliveries, newest first",
)
@paginate(Pagination)
def list_deliveries(request: HttpRequest, program_id: int) -> Any:
    v = viewer(request)
    program = selectors.program(v, program_id)
    return selectors.delivery_rows(v, program).then(
        lambda r: {
            **_delivery_fields(r["delivery"]),
            "priority_ids": [p.pk for p in r["priorities"]],
            "credited": r["credited"],
        }
    )


@router.post(
    "/programs/{program_id}/deliveries",
    response=responses({200: LoopDeliveryOut, 201: LoopDeliveryOut}, body=True, object_path=True),
    operation_id="create_delivery",
    summary="Record a delivery (release notes pushed in); found again by external id",
)
def create_delivery(
    request: HttpRequest, program_id: int, payload: LoopDeliveryIn
) -> HttpStatus[dict[str, Any]]:
    """201 for a new delivery. Sending the same ``external_id`` (or the same link and date)
    again updates that delivery (its title, description and link become what is sent) and
    adds links, 200; nothing is duplicated. A past date notifies nobody."""
    v = viewer(request)
    program = selectors.program(v, program_id)
    entry = Entry(
        on=payload.on,
        title=payload.title,
        description=payload.description,
        link=payload.link,
        external_id=payload.external_id,
        priorities=tuple(dict.fromkeys(payload.priority_ids)),
    )
    try:
        outcome = delivery_services.record(v, program, [entry], source=DeliverySource.API)
    except ValidationFailed as exc:
        # The service names the priorities as the web form and the CSV file do.
        errors = dict(exc.errors)
        if "priorities" in errors:
            errors["priority_ids"] = errors.pop("priorities")
        raise ValidationFailed(errors) from None
    assert outcome.deliveries
    return HttpStatus(201 if outcome.created else 200, _delivery(outcome.deliveries[0]))


@router.post(
    "/programs/{program_id}/deliveries/import",
    response=responses({200: LoopDeliveryImportOut}, body=True, object_path=True),
    operation_id="import_deliveries",
    summary="Import a CSV file or Excel workbook of deliveries (all or nothing, idempotent)",
)
def import_deliveries(
    request: HttpRequest,
    program_id: int,
    file: File[UploadedFile] = None,  # type: ignore[assignment]  # required, checked below
) -> dict[str, int]:
    """Multipart upload: `file`, a CSV with the columns date (YYYY-MM-DD), title and
    optionally description, link, external_id, priorities (ids); or an Excel workbook (.xlsx,
    told by its content), its first sheet with data read as the sheet shows it. Every bad row
    answers 422 with its line number (a sheet's: "Row 5"), and nothing is imported. At most
    2 MB and (by default) 5,000 rows: a larger file answers 422 on `file`, naming the limit
    and the line it was passed on."""
    v = viewer(request)
    program = selectors.program(v, program_id)
    permissions.check(v, "loop.deliver", program)
    if file is None:
        raise ValidationFailed.field(
            "file", "Send the CSV file or Excel workbook as the multipart field “file”."
        )
    outcome = delivery_services.import_deliveries(
        v, program, file.read(deliveries_csv.MAX_BYTES + 1), Path(file.name or "").name
    )
    return {
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "linked": outcome.linked,
    }


# --- the communication plan (area PLAN) ----------------------------------------------------
from .plan_api import router as plan_router  # noqa: E402

router.add_router("", plan_router)


# "You said, we did" updates and reason texts (area UPD): their own router module.
from .api_updates import router as updates_router  # noqa: E402

router.add_router("", updates_router)

# --- MAIL: delivery of updates, bounces, a contact's subscriptions (loop/mail_api.py) ---
from .mail_api import router as mail_router  # noqa: E402

router.add_router("", mail_router)
