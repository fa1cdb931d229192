"""The communication plan's API: read and change a program's plan (cadence, silence, notes,
who tells whom) and read its rows (per customer organisation: teller, last heard, next due,
overdue, silent, the promise). Parse, call one selector or service, shape. Mounted on the
loop's router (``loop/api.py``)."""

import datetime as dt
from typing import Any, Literal

from django.db.models.functions import Lower
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from traction.core.api import ABSENT, InputSchema, ObjectId, Pagination, Text, responses, viewer
from traction.core.paging import Shaped
from traction.core.permissions import Viewer
from traction.programs.models import Program

from . import plan
from .services import plan as plan_services

router = Router()  # tagged "loop" by the loop router it is mounted on

TELLERS = 50  # tellers nested in the plan; the rest are read from its rows, a page at a time


class TellerOut(Schema):
    customer_id: int
    customer: str
    teller_id: int | None = Field(description="Who tells it; null: nobody (no account owner).")
    default: bool = Field(description="True: its account owner, as no teller is named.")


class CommsPlanOut(Schema):
    program_id: int
    cadence_days: int = Field(description="Days between updates after a session.")
    silence_days: int = Field(description="Days without news before a re-engagement prompt.")
    notes: str
    updated_at: dt.datetime | None
    tellers: list[TellerOut] = Field(
        description=f"Who tells the first {TELLERS} organisations, by name; every "
        "organisation's teller is in GET /programs/{program_id}/comms-plan/rows."
    )
    tellers_count: int = Field(description="How many organisations the plan covers, in all.")


class TellerIn(InputSchema):
    customer_id: ObjectId
    teller_id: ObjectId | None = Field(
        description="A member of the workspace; null: back to the customer's account owner."
    )


class CommsPlanIn(InputSchema):
    """Only the fields sent change."""

    cadence_days: int = Field(ABSENT, ge=1, le=3650, description="7 to 365 days.")
    silence_days: int = Field(
        ABSENT, ge=1, le=3650, description="14 to 730 days, longer than the cadence."
    )
    notes: Text = Field(ABSENT, max_length=4000)
    tellers: list[TellerIn] = Field(ABSENT, max_length=1000)


class PromiseOut(Schema):
    session_id: int
    session_title: str
    hear_back_by: dt.date
    days_left: int = Field(description="Negative: overdue by that many days.")


class PlanRowOut(Schema):
    customer_id: int
    customer: str
    teller_id: int | None
    teller: str
    teller_default: bool = Field(description="True: its account owner, as no teller is named.")
    last_heard_at: dt.datetime | None = Field(
        description="The last update of the program that reached one of its contacts."
    )
    next_due: dt.date | None
    due_because: str = Field(description="promise, after_update, after_session or empty.")
    days_to_due: int | None
    overdue: bool
    overdue_days: int
    due_soon: bool
    silent: bool
    silent_days: int | None
    promise: PromiseOut | None


def _plan(v: Viewer, found: Program) -> dict[str, Any]:
    settings = plan.plan_of(found.pk)
    organisations = plan.plan_rows(v, found).order_by(Lower("name"), "pk")
    first = plan.page_rows(found, list(organisations[:TELLERS]))
    return {
        "program_id": found.pk,
        "cadence_days": settings.cadence_days,
        "silence_days": settings.silence_days,
        "notes": settings.notes,
        "updated_at": settings.updated_at,
        "tellers": [
            {
                "customer_id": r.customer.pk,
                "customer": r.customer.name,
                "teller_id": r.teller.pk if r.teller is not None else None,
                "default": r.teller_is_default,
            }
            for r in first
        ],
        "tellers_count": organisations.count() if len(first) == TELLERS else len(first),
    }


@router.get(
    "/programs/{program_id}/comms-plan",
    response=responses({200: CommsPlanOut}, object_path=True),
    operation_id="get_comms_plan",
    summary="A program's communication plan: cadence, silence, notes, who tells whom",
)
def get_comms_plan(request: HttpRequest, program_id: int) -> dict[str, Any]:
    v = viewer(request)
    found = plan.program(v, program_id)
    return _plan(v, found)


@router.patch(
    "/programs/{program_id}/comms-plan",
    response=responses({200: CommsPlanOut}, body=True, object_path=True),
    operation_id="update_comms_plan",
    summary="Change a program's communication plan (only the fields sent)",
)
def update_comms_plan(request: HttpRequest, program_id: int, payload: CommsPlanIn) -> Any:
    v = viewer(request)
    found = plan.program(v, program_id)
    sent = payload.model_dump(exclude_unset=True)
    tellers = sent.pop("tellers", None)
    plan_services.save_plan(
        v,
        found,
        tellers={t["customer_id"]: t["teller_id"] for t in tellers} if tellers else None,
        **sent,
    )
    return _plan(v, found)


@router.get(
    "/programs/{program_id}/comms-plan/rows",
    response=responses({200: list[PlanRowOut]}, object_path=True),
    operation_id="list_comms_plan_rows",
    summary="When each customer organisation of a program hears from us next",
)
@paginate(Pagination)
def list_comms_plan_rows(
    request: HttpRequest,
    program_id: int,
    state: Literal["overdue", "due_soon", "silent", "promise"] | None = None,
) -> Any:
    """Most urgent first (then by the organisation's name); an account owner sees their own
    customers' rows. ``state`` keeps the overdue ones, those due within 7 days, the silent
    ones or those with a promise not answered yet."""
    v = viewer(request)
    found = plan.program(v, program_id)
    return Shaped(
        plan.plan_rows(v, found, state=state or ""),
        lambda page, _offset: [_row(r) for r in plan.page_rows(found, page)],
    )


def _row(r: plan.PlanRow) -> dict[str, Any]:
    p = r.promise
    return {
        "customer_id": r.customer.pk,
        "customer": r.customer.name,
        "teller_id": r.teller.pk if r.teller is not None else None,
        "teller": (r.teller.full_name or r.teller.email) if r.teller is not None else "",
        "teller_default": r.teller_is_default,
        "last_heard_at": r.last_heard,
        "next_due": r.next_due,
        "due_because": r.due_because,
        "days_to_due": r.days_to_due,
        "overdue": r.overdue,
        "overdue_days": r.overdue_days,
        "due_soon": r.due_soon,
        "silent": r.silent,
        "silent_days": r.silent_days,
        "promise": (
            {
                "session_id": p.session_id,
                "session_title": p.session_title,
                "hear_back_by": p.by,
                "days_left": p.days_left(r.today),
            }
            if p is not None
            else None
        ),
    }
