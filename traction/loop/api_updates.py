"""The API of "you said, we did" updates and reusable reason texts: list, create (drafted from
the data), get (with the checker's flags, recipients and approvals), edit, submit for
approval, approve, waive, send, discard; the approval turnaround. The same services and
the same rules as the pages."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from traction.core.api import (
    InputSchema,
    ObjectId,
    OneLine,
    Pagination,
    Text,
    responses,
    viewer,
)
from traction.core.paging import Shaped

from . import selectors, update_checker, update_selectors
from .api_common import approval_fields
from .audience import Candidate
from .models import Approval, ReasonText, Update, UpdateState
from .services import publishing
from .services import updates as services
from .services.approvals import CHANGES_REASON_MAX, WAIVE_REASON_MAX
from .services.statuses import CUSTOMER_REASON_MAX

router = Router()  # tagged "loop" by the loop router it is mounted on

DETAIL_ROWS = 50  # candidates and approvals nested in an update; the rest page on their own

AudienceValue = Literal["customer", "session", "program"]
KindValue = Literal["update", "delivery", "change_of_plan", "re_engagement"]


class UpdateApprovalOut(Schema):
    id: int
    customer_id: int
    customer: str
    account_owner_id: int | None
    version: int | None
    state: str
    by_id: int | None
    at: dt.datetime | None
    reason: str
    asked_at: dt.datetime
    superseded_at: dt.datetime | None
    reminders_sent: int
    escalated_at: dt.datetime | None
    recipients: list[dict[str, Any]]
    changes: dict[str, Any] | None


class UpdateCandidateOut(Schema):
    contact_id: int
    customer_id: int
    name: str
    reasons: list[str]
    excluded: str


class UpdateProblemOut(Schema):
    words: str
    message: str


class UpdateOut(Schema):
    id: int
    program_id: int
    audience: str
    customer_id: int | None
    session_id: int | None
    kind: str
    delivery_id: int | None
    subject: str
    body: str
    sources: dict[str, Any]
    state: str
    version: int
    created_by_id: int | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    sent_at: dt.datetime | None
    sent_by_id: int | None


class UpdateDetailOut(UpdateOut):
    delivery_ids: list[int] = Field(
        description="Every delivery a delivery update is about: `delivery_id` and those "
        "recorded while it was unsent, folded into it (oldest first)."
    )
    problems: list[UpdateProblemOut]
    candidates: list[UpdateCandidateOut] = Field(
        description=f"The first {DETAIL_ROWS} of the people it would reach (the excluded ones "
        "with why), by organisation then name; all of them: "
        "GET /updates/{update_id}/candidates."
    )
    candidates_count: int = Field(description="How many people it would reach, in all.")
    approvals: list[UpdateApprovalOut] = Field(
        description=f"The first {DETAIL_ROWS} of its current approvals, newest version first, "
        "then by organisation; all of them: GET /updates/{update_id}/approvals."
    )
    approvals_count: int = Field(description="How many current approvals, in all.")


class UpdateCreateIn(InputSchema):
    audience: AudienceValue
    kind: KindValue = "update"
    customer_id: ObjectId | None = None
    session_id: ObjectId | None = None
    delivery_id: ObjectId | None = None
    priority_id: ObjectId | None = None


class UpdatePatchIn(InputSchema):
    version: int | None = None
    subject: OneLine | None = Field(None, max_length=services.SUBJECT_MAX)
    body: Text | None = Field(None, max_length=services.BODY_MAX)
    left_out: list[ObjectId] | None = None


class UpdateVersionIn(InputSchema):
    version: int | None = None


class UpdateSendIn(UpdateVersionIn):
    early_reason: str = Field(
        "",
        max_length=2000,
        description="Why it cannot wait: required when an organisation it reaches heard from "
        "the program within the plan's cadence (a 422 on `early_reason` lists them).",
    )


class UpdateWaiveIn(InputSchema):
    reason: Text = Field(max_length=WAIVE_REASON_MAX)


class UpdateChangesIn(InputSchema):
    reason: Text = Field(
        max_length=CHANGES_REASON_MAX, description="What should change (required)."
    )


class UpdateTurnaroundOut(Schema):
    decided: int
    median_seconds: float | None
    slowest_seconds: float | None


class ReasonTextOut(Schema):
    id: int
    title: str
    text: str
    created_at: dt.datetime


class ReasonTextIn(InputSchema):
    title: OneLine = Field(max_length=120)
    text: Text = Field(max_length=CUSTOMER_REASON_MAX)


def _update(u: Update) -> dict[str, Any]:
    return {
        "id": u.pk,
        "program_id": u.program_id,
        "audience": u.audience,
        "customer_id": u.customer_id,
        "session_id": u.session_id,
        "kind": u.kind,
        "delivery_id": u.delivery_id,
        "subject": u.subject,
        "body": u.body,
        "sources": u.sources,
        "state": u.state,
        "version": u.version,
        "created_by_id": u.created_by_id,
        "created_at": u.created_at,
        "submitted_at": u.submitted_at,
        "sent_at": u.sent_at,
        "sent_by_id": u.sent_by_id,
    }


def _candidate(c: Candidate) -> dict[str, Any]:
    return {
        "contact_id": c.contact.pk,
        "customer_id": c.contact.customer_id,
        "name": c.contact.name,
        "reasons": c.reasons,
        "excluded": c.excluded,
    }


def _approvals(page: list[Approval], _offset: int = 0) -> list[dict[str, Any]]:
    """A page of an update's approvals, with what changed since each owner last approved
    (one query for the page)."""
    changes = services.changes_of(page)
    out = []
    for a in page:
        found = changes[a.pk]
        out.append(
            {
                **approval_fields(a),
                "version": a.version,
                "asked_at": a.created_at,
                "superseded_at": a.superseded_at,
                "reminders_sent": a.reminders_sent,
                "escalated_at": a.escalated_at,
                "recipients": a.snapshot.get("recipients", []),
                "changes": (
                    {
                        "since_version": found.since_version,
                        "text": found.text,
                        "added": found.added,
                        "removed": found.removed,
                        "since_changes_asked": found.since_changes_asked,
                    }
                    if found
                    else None
                ),
            }
        )
    return out


def _detail(request: HttpRequest, u: Update) -> dict[str, Any]:
    v = viewer(request)
    found = update_selectors.update(v, u.pk)
    closed = found.state in (UpdateState.SENT, UpdateState.DISCARDED)
    problems = [] if closed else update_checker.update_problems(found)
    people = update_selectors.candidates(v, found)
    approvals = update_selectors.approvals(v, found)
    return {
        **_update(found),
        "delivery_ids": list(found.deliveries.order_by("on", "pk").values_list("pk", flat=True)),
        "problems": [{"words": p.words, "message": p.message} for p in problems],
        "candidates": [_candidate(c) for c in people[:DETAIL_ROWS]],
        "candidates_count": len(people),
        "approvals": _approvals(list(approvals[:DETAIL_ROWS])),
        "approvals_count": approvals.count(),
    }


@router.get(
    "/programs/{program_id}/updates",
    response=responses({200: list[UpdateOut]}, object_path=True),
    operation_id="list_updates",
    summary="A program's updates to customers, newest first (optionally of one state)",
)
@paginate(Pagination)
def list_updates(
    request: HttpRequest,
    program_id: int,
    state: Literal["draft", "awaiting", "approved", "sent", "discarded"] | None = None,
) -> Any:
    v = viewer(request)
    program = selectors.program(v, program_id)
    return Shaped(
        update_selectors.updates(v, program, state or ""),
        lambda page, _offset: [_update(u) for u in page],
    )


@router.get(
    "/programs/{program_id}/update-turnaround",
    response=responses({200: UpdateTurnaroundOut}, object_path=True),
    operation_id="get_update_approval_turnaround",
    summary="How long account owners took to answer update approvals (median, slowest)",
)
def get_update_approval_turnaround(request: HttpRequest, program_id: int) -> dict[str, Any]:
    v = viewer(request)
    program = selectors.program(v, program_id)
    found = services.turnaround(program.pk, viewer=v)
    return {
        "decided": found.decided,
        "median_seconds": found.median.total_seconds() if found.median is not None else None,
        "slowest_seconds": found.slowest.total_seconds() if found.slowest is not None else None,
    }


@router.post(
    "/programs/{program_id}/updates",
    response=responses({201: UpdateDetailOut}, body=True, object_path=True),
    operation_id="create_update",
    summary="Start an update, drafted from the data",
)
def create_update(
    request: HttpRequest, program_id: int, payload: UpdateCreateIn
) -> HttpStatus[dict[str, Any]]:
    v = viewer(request)
    program = selectors.program(v, program_id)
    made = services.compose(
        v,
        program,
        audience=payload.audience,
        kind=payload.kind,
        customer_id=payload.customer_id,
        session_id=payload.session_id,
        delivery_id=payload.delivery_id,
        priority_id=payload.priority_id,
    )
    return HttpStatus(201, _detail(request, made))


@router.get(
    "/updates/{update_id}",
    response=responses({200: UpdateDetailOut}, object_path=True),
    operation_id="get_update",
    summary="An update with the checker's flags, its recipients and approvals",
)
def get_update(request: HttpRequest, update_id: int) -> dict[str, Any]:
    v = viewer(request)
    return _detail(request, update_selectors.update(v, update_id))


@router.get(
    "/updates/{update_id}/candidates",
    response=responses({200: list[UpdateCandidateOut]}, object_path=True),
    operation_id="list_update_candidates",
    summary="The people an update would reach, the excluded ones with why (by organisation, "
    "then name)",
)
@paginate(Pagination)
def list_update_candidates(request: HttpRequest, update_id: int) -> Any:
    """Of the organisations you may identify; empty once the update is sent or discarded."""
    v = viewer(request)
    return [
        _candidate(c) for c in update_selectors.candidates(v, update_selectors.update(v, update_id))
    ]


@router.get(
    "/updates/{update_id}/approvals",
    response=responses({200: list[UpdateApprovalOut]}, object_path=True),
    operation_id="list_update_approvals",
    summary="An update's current approvals, one per organisation asked (newest version first)",
)
@paginate(Pagination)
def list_update_approvals(request: HttpRequest, update_id: int) -> Any:
    """Of the organisations you may identify, with what changed since each account owner
    last approved it."""
    v = viewer(request)
    found = update_selectors.update(v, update_id)
    return Shaped(update_selectors.approvals(v, found), _approvals)


@router.patch(
    "/updates/{update_id}",
    response=responses({200: UpdateDetailOut}, body=True, object_path=True, versioned=True),
    operation_id="edit_update",
    summary="Edit the text or who is left out (asks the account owners again)",
)
def edit_update(request: HttpRequest, update_id: int, payload: UpdatePatchIn) -> dict[str, Any]:
    v = viewer(request)
    found = services.edit(
        v,
        update_selectors.update(v, update_id),
        subject=payload.subject,
        body=payload.body,
        left_out=payload.left_out,
        expected_version=payload.version,
    )
    return _detail(request, found)


def _step(request: HttpRequest, update_id: int, step: str, version: int | None) -> Any:
    v = viewer(request)
    service = {"submit": services.submit, "discard": services.discard}[step]
    found = service(v, update_selectors.update(v, update_id), expected_version=version)
    return _detail(request, found)


@router.post(
    "/updates/{update_id}/submit",
    response=responses({200: UpdateDetailOut}, body=True, object_path=True, versioned=True),
    operation_id="submit_update",
    summary="Ask each affected organisation's account owner to approve (refused while the "
    "checker flags anything)",
)
def submit_update(request: HttpRequest, update_id: int, payload: UpdateVersionIn) -> Any:
    return _step(request, update_id, "submit", payload.version)


@router.post(
    "/updates/{update_id}/send",
    response=responses({200: UpdateDetailOut}, body=True, object_path=True, versioned=True),
    operation_id="send_update",
    summary="Send an approved update (it is immutable from then on; within the plan's "
    "cadence only with a reason)",
)
def send_update(request: HttpRequest, update_id: int, payload: UpdateSendIn) -> Any:
    v = viewer(request)
    found = services.send(
        v,
        update_selectors.update(v, update_id),
        expected_version=payload.version,
        early_reason=payload.early_reason,
    )
    return _detail(request, found)


@router.post(
    "/updates/{update_id}/discard",
    response=responses({200: UpdateDetailOut}, body=True, object_path=True, versioned=True),
    operation_id="discard_update",
    summary="Discard an update that was not sent",
)
def discard_update(request: HttpRequest, update_id: int, payload: UpdateVersionIn) -> Any:
    return _step(request, update_id, "discard", payload.version)


@router.post(
    "/update-approvals/{update_approval_id}/approve",
    response=responses({200: UpdateDetailOut}, object_path=True),
    operation_id="approve_update",
    summary="Approve an update's text and recipients for your own customer (account owners)",
)
def approve_update(request: HttpRequest, update_approval_id: int) -> Any:
    v = viewer(request)
    found = services.approve(v, services.approval(v, update_approval_id))
    return _detail(request, found.update)  # type: ignore[arg-type]


@router.post(
    "/update-approvals/{update_approval_id}/request-changes",
    response=responses({200: UpdateDetailOut}, body=True, object_path=True),
    operation_id="request_update_changes",
    summary="Ask for changes in an update instead of approving it, saying what should change "
    "(account owners)",
)
def request_update_changes(
    request: HttpRequest, update_approval_id: int, payload: UpdateChangesIn
) -> Any:
    """Decided once, like an approval (state ``changes_requested``, the reason kept): the
    update cannot be sent until it is edited, which asks the account owners again."""
    v = viewer(request)
    found = services.request_changes(
        v, services.approval(v, update_approval_id), reason=payload.reason
    )
    return _detail(request, found.update)  # type: ignore[arg-type]


@router.post(
    "/update-approvals/{update_approval_id}/waive",
    response=responses({200: UpdateDetailOut}, body=True, object_path=True),
    operation_id="waive_update_approval",
    summary="Waive an account owner's approval of an update, with a reason (admins)",
)
def waive_update_approval(
    request: HttpRequest, update_approval_id: int, payload: UpdateWaiveIn
) -> Any:
    v = viewer(request)
    found = services.waive(
        v, services.approval(v, update_approval_id, "loop.waive"), reason=payload.reason
    )
    return _detail(request, found.update)  # type: ignore[arg-type]


def _reason(r: ReasonText) -> dict[str, Any]:
    return {"id": r.pk, "title": r.title, "text": r.text, "created_at": r.created_at}


@router.get(
    "/reason-texts",
    response=responses({200: list[ReasonTextOut]}),
    operation_id="list_reason_texts",
    summary="The workspace's reusable reason texts for customers",
)
@paginate(Pagination)
def list_reason_texts(request: HttpRequest) -> Any:
    """By title."""
    return Shaped(
        selectors.reason_texts(viewer(request)),
        lambda page, _offset: [_reason(r) for r in page],
    )


@router.post(
    "/reason-texts",
    response=responses({201: ReasonTextOut}, body=True),
    operation_id="create_reason_text",
    summary="Add a reusable reason text (checked like any text for customers)",
)
def create_reason_text(request: HttpRequest, payload: ReasonTextIn) -> HttpStatus[dict[str, Any]]:
    found = publishing.add_reason_text(viewer(request), title=payload.title, text=payload.text)
    return HttpStatus(201, _reason(found))
