"""The debrief API: the pack area. Close a debrief (409 on a stale ``version``), see what
closing needs (the attendees, the top priorities left undecided), download the pack as PDF
or HTML, preview its recipients and send it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from traction.core.api import FilterSchema, InputSchema, IsoDate, OutputSchema, responses, viewer
from traction.debrief import pack as documents
from traction.debrief import selectors_pack
from traction.debrief.models import Debrief
from traction.debrief.services import closing
from traction.debrief.views.pack import download

router = Router(tags=["debrief"])


# --- shapes -------------------------------------------------------------------------------------


class DebriefAttendanceIn(InputSchema):
    user_id: int = Field(ge=1, le=2**63 - 1)
    present: bool


class DebriefUndecidedIn(InputSchema):
    insight_id: int = Field(ge=1, le=2**63 - 1)
    revisit_on: IsoDate
    note: str = Field("", max_length=closing.UNDECIDED_NOTE_MAX)


class DebriefCloseIn(InputSchema):
    """Who attended (everyone asked who is not listed present counts as absent; a member
    listed who was not asked came uninvited), the closing note, a revisit date for each top
    priority left undecided (``GET …/closing`` lists them), and for a debrief with no
    decision, why."""

    version: int | None = Field(None, ge=0, description="The version you read: 409 if stale.")
    note: str = Field(max_length=closing.NOTE_MAX)
    attendance: list[DebriefAttendanceIn] = Field(max_length=closing.ATTENDANCE_MAX)
    undecided: list[DebriefUndecidedIn] = Field([], max_length=closing.UNDECIDED_MAX)
    empty_reason: str = Field("", max_length=closing.NOTE_MAX)


class DebriefAttendeeOut(OutputSchema):
    user_id: int
    name: str
    is_policy_maker: bool
    response: str
    present: bool | None


class DebriefPriorityOut(OutputSchema):
    insight_id: int
    rank: int
    text: str
    kind: str
    dots: int


class DebriefUndecidedOut(OutputSchema):
    insight_id: int
    revisit_on: dt.date
    note: str


class DebriefClosingOut(OutputSchema):
    debrief_id: int
    version: int
    status: str
    closed_at: dt.datetime | None
    closing_note: str
    empty_reason: str
    needs_empty_reason: bool
    attendees: list[DebriefAttendeeOut]
    undecided_priorities: list[DebriefPriorityOut]  # open: what closing needs a date for
    undecided: list[DebriefUndecidedOut]  # closed: what was recorded


class PackRecipientOut(OutputSchema):
    user_id: int
    name: str
    email: str
    why: str


class PackExcludedOut(OutputSchema):
    user_id: int
    name: str
    why: str = Field(description="Why they would get it: attended, policy maker, ...")
    reason: str = Field(description="Why they do not: may not see the debrief, or left.")


class PackRecipientsOut(OutputSchema):
    debrief_id: int
    pack_sent_at: dt.datetime | None
    recipients: list[PackRecipientOut]
    excluded: list[PackExcludedOut]


class PackSendIn(InputSchema):
    resend: bool = Field(False, description="The pack was sent already: send it again.")


class PackParams(FilterSchema):
    format: Literal["pdf", "html"] = Field("pdf", description="pdf, or html (one standalone file).")


# --- shaping ------------------------------------------------------------------------------------


def _closing(v: Any, debrief: Debrief) -> dict[str, Any]:
    closed = selectors_pack.is_closed(debrief)
    return {
        "debrief_id": debrief.pk,
        "version": debrief.version,
        "status": debrief.status,
        "closed_at": debrief.closed_at,
        "closing_note": debrief.closing_note,
        "empty_reason": debrief.empty_reason,
        "needs_empty_reason": not closed and not selectors_pack.has_decision(debrief),
        "attendees": [
            {
                "user_id": a.user_id,
                "name": a.user.full_name or a.user.email,
                "is_policy_maker": a.is_policy_maker,
                "response": a.response,
                "present": a.present,
            }
            for a in selectors_pack.attendees(debrief)
        ],
        "undecided_priorities": []
        if closed
        else [
            {
                "insight_id": c.insight_id,
                "rank": c.rank,
                "text": c.text,
                "kind": c.kind,
                "dots": c.dots,
            }
            for c in selectors_pack.undecided_priorities(v, debrief)
        ],
        "undecided": list(
            debrief.undecided.order_by("revisit_on", "pk").values(
                "insight_id", "revisit_on", "note"
            )
        ),
    }


def _recipients(debrief: Debrief) -> dict[str, Any]:
    return {
        "debrief_id": debrief.pk,
        "pack_sent_at": debrief.pack_sent_at,
        "recipients": [r.__dict__ for r in selectors_pack.recipients(debrief)],
        "excluded": [x.__dict__ for x in selectors_pack.excluded(debrief)],
    }


# --- operations ---------------------------------------------------------------------------------


@router.get(
    "/debriefs/{debrief_id}/closing",
    response=responses({200: DebriefClosingOut}, object_path=True),
    operation_id="get_debrief_closing",
    summary="What closing a debrief needs: attendees and the top priorities left undecided",
)
def get_closing(request: HttpRequest, debrief_id: int) -> dict[str, Any]:
    v = viewer(request)
    return _closing(v, selectors_pack.debrief_for(v, debrief_id, "debrief.run"))


@router.post(
    "/debriefs/{debrief_id}/close",
    response=responses({200: DebriefClosingOut}, body=True, object_path=True, versioned=True),
    operation_id="close_debrief",
    summary="Close a debrief: attendance, closing note, undecided priorities with revisit dates",
)
def close_debrief(request: HttpRequest, debrief_id: int, payload: DebriefCloseIn) -> dict[str, Any]:
    v = viewer(request)
    debrief = selectors_pack.debrief_for(v, debrief_id, "debrief.run")
    closed = closing.close_debrief(
        v,
        debrief=debrief,
        attendance={a.user_id: a.present for a in payload.attendance},
        note=payload.note,
        undecided=[closing.Revisit(u.insight_id, u.revisit_on, u.note) for u in payload.undecided],
        empty_reason=payload.empty_reason,
        version=payload.version,
    )
    return _closing(v, closed)


@router.get(
    "/debriefs/{debrief_id}/pack",
    response=responses({}, object_path=True),
    operation_id="download_debrief_pack",
    summary="Download the debrief pack as PDF or HTML",
    openapi_extra={
        "responses": {
            200: {
                "description": "The debrief pack as you may see it, generated now.",
                "headers": {
                    "Content-Disposition": {
                        "description": "attachment; filename=...",
                        "schema": {"type": "string"},
                    }
                },
                "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    "text/html": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def download_pack(request: HttpRequest, debrief_id: int, params: Query[PackParams]) -> HttpResponse:
    """The prioritised map, the decided recommendations with their evidence, the undecided
    priorities with revisit dates, the action items and the scorecard, over what you may see."""
    v = viewer(request)
    debrief = selectors_pack.debrief_for(v, debrief_id)
    return download(
        documents.render(v, debrief, params.format),
        params.format,
        documents.filename(debrief, params.format),
    )


@router.get(
    "/debriefs/{debrief_id}/pack/recipients",
    response=responses({200: PackRecipientsOut}, object_path=True),
    operation_id="get_debrief_pack_recipients",
    summary="Who the pack goes to: attendees, the program's policy makers and sponsor",
)
def get_recipients(request: HttpRequest, debrief_id: int) -> dict[str, Any]:
    debrief = selectors_pack.debrief_for(viewer(request), debrief_id, "debrief.run")
    return _recipients(debrief)


@router.post(
    "/debriefs/{debrief_id}/pack/send",
    response=responses({200: PackRecipientsOut}, body=True, object_path=True),
    operation_id="send_debrief_pack",
    summary="Email the pack (PDF attached) to its recipients; again only with resend",
)
def send_pack(request: HttpRequest, debrief_id: int, payload: PackSendIn) -> dict[str, Any]:
    v = viewer(request)
    debrief = selectors_pack.debrief_for(v, debrief_id, "debrief.run")
    closing.send_pack(v, debrief=debrief, resend=payload.resend)
    return _recipients(Debrief.objects.get(pk=debrief.pk))
