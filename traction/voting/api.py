"""API operations for customer voting: open, close, the budget, room dots, a paper tally, the
ballots and the ranked results. Customers vote through their own link (a web page); the API
is for the people who run the session.
"""

from typing import Any, Literal, cast

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from traction.core.api import responses, viewer
from traction.insights import selectors
from traction.insights.api.exports import ExportParams, error_answers, file_answer
from traction.sessions.models import Session
from traction.voting import selectors as ranking
from traction.voting import services as voting
from traction.voting.schemas import (
    BallotOut,
    LinkSentOut,
    LinkSkippedOut,
    PaperTallyIn,
    RemovedDotsOut,
    RemoveDotsIn,
    ResultsPage,
    RoomDotIn,
    VotingBudgetChangeIn,
    VotingBudgetIn,
    VotingLinksIn,
    VotingLinksOut,
    VotingOut,
    VotingReopenIn,
    VotingResultsOut,
)
from traction.voting.services import link_mail
from traction.voting.views import ranking_response

router = Router(tags=["voting"])


# --- shaping ------------------------------------------------------------------------------------


def _state(found: object) -> Literal["not_opened", "open", "closed"]:
    if found is None:
        return "not_opened"
    return "open" if getattr(found, "is_open", False) else "closed"


def _ballot(row: ranking.BallotRow) -> BallotOut:
    return BallotOut(
        contact_id=row.contact.pk,
        name=row.contact.name,
        organisation=row.contact.customer.name,
        spent=row.spent,
        left=row.left,
        link_delivery=cast(Any, row.link_delivery.status) if row.link_delivery else None,
        link_delivery_error=row.link_delivery.error if row.link_delivery else "",
        entered_for_them=row.entered_for_them,
        entered_by=row.entered_by,
        withdrawn=row.withdrawn,
    )


def _voting(session: Session) -> VotingOut:
    found = ranking.voting_round(session)
    return VotingOut(
        session_id=session.pk,
        state=_state(found),
        budget=found.budget if found else voting.DEFAULT_BUDGET,
        opened_at=found.opened_at if found else None,
        closed_at=found.closed_at if found else None,
        closed_by_system=bool(found and found.closed_at and not found.closed_by_id),
        close_reason=found.close_reason if found else "",
        ballots=[_ballot(b) for b in ranking.ballots(session)],
    )


def _card(card: ranking.RankedCard, found: ranking.Results) -> dict[str, Any]:
    """A ranked card as plain data: the operation's answer is validated once, against
    ``VotingResultsOut``, on its way out (schema objects built here would each be
    validated twice: a page holds hundreds of them, with their breakdowns)."""
    return {
        "rank": card.rank,
        "insight_id": card.insight_id,
        "kind": card.kind,
        "text": card.text,
        "step_id": card.step_id,
        "step_title": card.step_title,
        "speaker_name": card.speaker_name,
        "organisation": card.organisation,
        "contributors": [
            {
                "insight_id": c.insight_id,
                "speaker_name": c.speaker_name,
                "customer_id": c.customer_id,
                "organisation": c.organisation,
                "text": c.text,
            }
            for c in card.contributors
        ],
        "hidden_contributors": card.hidden_contributors,
        "dots": card.dots,
        "voters": card.voters,
        "by_segment": [
            {"segment": value, "label": label, "dots": n}
            for (value, label), n in zip(found.segments, card.segment_cells, strict=True)
        ],
        "by_organisation": [
            {"customer_id": cid, "name": name, "dots": n}
            for (cid, name), n in zip(found.organisations, card.organisation_cells, strict=True)
        ],
    }


# --- operations ---------------------------------------------------------------------------------


@router.get(
    "/sessions/{session_id}/voting",
    response=responses({200: VotingOut}, object_path=True),
    operation_id="get_voting",
    summary="Voting state and each customer participant's ballot (dots spent and left)",
)
def get_voting(request: HttpRequest, session_id: int) -> VotingOut:
    return _voting(selectors.session_for(viewer(request), session_id, "voting.run"))


@router.post(
    "/sessions/{session_id}/voting/open",
    response=responses({200: VotingOut}, body=True, object_path=True),
    operation_id="open_voting",
    summary="Open voting with a budget of dots per customer (a closed round: see reopen)",
)
def open_voting(request: HttpRequest, session_id: int, payload: VotingBudgetIn) -> VotingOut:
    v = viewer(request)
    session = selectors.session_for(v, session_id, "voting.run")
    voting.open_voting(v, session=session, budget=payload.budget)
    return _voting(session)


@router.patch(
    "/sessions/{session_id}/voting",
    response=responses({200: VotingOut}, body=True, object_path=True),
    operation_id="change_voting_budget",
    summary="Change the dots per customer (never below what someone already spent)",
)
def change_voting_budget(
    request: HttpRequest, session_id: int, payload: VotingBudgetChangeIn
) -> VotingOut:
    v = viewer(request)
    session = selectors.session_for(v, session_id, "voting.run")
    voting.change_budget(v, session=session, budget=payload.budget)
    return _voting(session)


@router.post(
    "/sessions/{session_id}/voting/close",
    response=responses({200: VotingOut}, object_path=True),
    operation_id="close_voting",
    summary="Close voting: no more dots through any channel",
)
def close_voting(request: HttpRequest, session_id: int) -> VotingOut:
    v = viewer(request)
    session = selectors.session_for(v, session_id, "voting.run")
    voting.close_voting(v, session=session)
    return _voting(session)


@router.post(
    "/sessions/{session_id}/voting/reopen",
    response=responses({200: VotingOut}, body=True, object_path=True),
    operation_id="reopen_voting",
    summary="Reopen a closed round, saying why (the frozen ranking stays on record)",
)
def reopen_voting(request: HttpRequest, session_id: int, payload: VotingReopenIn) -> VotingOut:
    v = viewer(request)
    session = selectors.session_for(v, session_id, "voting.run")
    voting.reopen_voting(v, session=session, reason=payload.reason, budget=payload.budget)
    return _voting(session)


@router.post(
    "/sessions/{session_id}/voting/remove-dots",
    response=responses({200: RemovedDotsOut}, body=True, object_path=True),
    operation_id="remove_participant_dots",
    summary="Remove every dot of one customer participant, with a reason (open round only)",
)
def remove_participant_dots(
    request: HttpRequest, session_id: int, payload: RemoveDotsIn
) -> RemovedDotsOut:
    v = viewer(request)
    session = selectors.session_for(v, session_id, "voting.run")
    contact = selectors.invited_contact(v, session, payload.contact_id)
    removed = voting.remove_participant_dots(
        v, session=session, contact=contact, reason=payload.reason
    )
    return RemovedDotsOut(contact_id=contact.pk, removed=removed)


@router.post(
    "/sessions/{session_id}/voting/links/email",
    response=responses({200: VotingLinksOut}, body=True, object_path=True),
    operation_id="email_voting_links",
    summary="Email customers their personal voting links",
)
def email_voting_links(
    request: HttpRequest, session_id: int, payload: VotingLinksIn
) -> VotingLinksOut:
    """422 unless voting is open. Customers who declined, withdrew their consent or have no
    real address are listed in ``skipped`` with the reason; the others are emailed."""
    v = viewer(request)
    session = selectors.session_for(v, session_id, "voting.run")
    mailing = link_mail.email_voting_links(v, session=session, contact_ids=payload.contact_ids)
    return VotingLinksOut(
        sent=[LinkSentOut(contact_id=c.pk, name=c.name) for c in mailing.queued],
        skipped=[
            LinkSkippedOut(contact_id=c.pk, name=c.name, reason=reason)
            for c, reason in mailing.skipped
        ],
    )


@router.post(
    "/sessions/{session_id}/voting/dots",
    response=responses({200: BallotOut}, body=True, object_path=True),
    operation_id="record_room_vote",
    summary="In the room: add or remove one of a customer's dots on a card",
)
def record_room_vote(request: HttpRequest, session_id: int, payload: RoomDotIn) -> BallotOut:
    v = viewer(request)
    session = selectors.session_for(v, session_id, "voting.run")
    operation = voting.add_dot if payload.change == "add" else voting.remove_dot
    operation(v, session=session, contact_id=payload.contact_id, insight_id=payload.insight_id)
    row = next(b for b in ranking.ballots(session) if b.contact.pk == payload.contact_id)
    return _ballot(row)


@router.put(
    "/sessions/{session_id}/voting/paper",
    response=responses({200: VotingOut}, body=True, object_path=True),
    operation_id="record_paper_tally",
    summary="A paper round: set customers' dots per card, all at once or not at all",
)
def record_paper_tally(request: HttpRequest, session_id: int, payload: PaperTallyIn) -> VotingOut:
    """Refused whole (422) if a customer would exceed the budget (the error names them under
    `contact_<id>`), or a card or customer is not the session's."""
    v = viewer(request)
    session = selectors.session_for(v, session_id, "voting.run")
    voting.record_paper_tally(
        v,
        session=session,
        entries=[voting.TallyEntry(e.insight_id, e.contact_id, e.dots) for e in payload.entries],
        reason=payload.reason,
    )
    return _voting(session)


@router.get(
    "/sessions/{session_id}/voting/results",
    response=responses({200: VotingResultsOut}, object_path=True),
    operation_id="get_voting_results",
    summary="Ranked moments of truth, issues and ideas with breakdowns by segment and organisation",
)
def get_voting_results(
    request: HttpRequest, session_id: int, params: Query[ResultsPage]
) -> dict[str, Any]:
    """Ranked by dots, then by the number of customers who voted for the card, then in capture
    order. Internal participants' remarks are never ranked. ``page`` and ``page_size`` choose
    the cards of each list (overall and per kind); every figure counts all of them, and
    ``overall_count`` and each kind's ``count`` say how many cards each list has."""
    v = viewer(request)
    found = ranking.results(
        selectors.session_for(v, session_id),
        v,
        limit=params.page_size,
        offset=(params.page - 1) * params.page_size,
    )
    return {  # validated once, as ``VotingResultsOut`` (see ``_card``)
        "session_id": found.session.pk,
        "state": _state(found.round),
        "budget": found.budget,
        "participants": found.participants,
        "voted": found.voted,
        "dots_cast": found.dots_cast,
        "frozen": found.frozen,
        "overall": [_card(c, found) for c in found.overall],
        "overall_count": found.overall_count,
        "kinds": [
            {
                "kind": k.kind,
                "label": k.label,
                "cards": [_card(c, found) for c in k.cards],
                "count": k.count,
            }
            for k in found.kinds
        ],
    }


@router.get(
    "/sessions/{session_id}/voting/results/export",
    response=error_answers(object_path=True),
    operation_id="export_voting_results",
    summary="Download a session's ranking as CSV or XLSX",
    openapi_extra=file_answer("The overall ranking you may see, one card per row."),
    tags=["insights"],  # listed with the other downloads, as before voting had its own app
)
def export_voting_results(
    request: HttpRequest, session_id: int, params: Query[ExportParams]
) -> HttpResponse:
    """The overall ranking of ``GET /sessions/{id}/voting/results``: rank, card, dots, voters,
    then dots by segment and by organisation."""
    return ranking_response(viewer(request), session_id, params.format)
