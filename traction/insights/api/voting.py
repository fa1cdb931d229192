"""API operations for customer voting: open, close, the budget, room dots, a paper tally, the
ballots and the ranked results. Customers vote through their own link (a web page); the API
is for the people who run the session.
"""

import datetime as dt
from typing import Any, Literal, cast

from django.http import HttpRequest
from ninja import Field, Router, Schema

from traction.core.api import InputSchema, ObjectId, responses, viewer
from traction.insights import link_mail, ranking, selectors, voting
from traction.sessions.models import Session

router = Router(tags=["voting"])


# --- schemas ------------------------------------------------------------------------------------


class VotingBudgetIn(InputSchema):
    budget: int = Field(
        voting.DEFAULT_BUDGET,
        ge=voting.MIN_BUDGET,
        le=voting.MAX_BUDGET,
        description="Dots each customer participant may spend (several may go on one card).",
    )


class VotingReopenIn(InputSchema):
    reason: str = Field(
        min_length=1, max_length=300, description="Why the closed round is reopened (audited)."
    )
    budget: int | None = Field(
        None,
        ge=voting.MIN_BUDGET,
        le=voting.MAX_BUDGET,
        description="A new budget; leave out to keep it.",
    )


class RemoveDotsIn(InputSchema):
    contact_id: ObjectId = Field(description="The customer participant whose dots go.")
    reason: str = Field(min_length=1, max_length=300, description="Why (audited).")


class RemovedDotsOut(Schema):
    contact_id: int
    removed: dict[str, int] = Field(description="Dots removed per card id.")


class VotingBudgetChangeIn(InputSchema):
    budget: int = Field(ge=voting.MIN_BUDGET, le=voting.MAX_BUDGET)


class RoomDotIn(InputSchema):
    contact_id: ObjectId = Field(description="The customer participant who is voting.")
    insight_id: ObjectId = Field(description="The card: a moment of truth, issue or idea.")
    change: Literal["add", "remove"] = Field(description="Add one dot, or take one back.")


class TallyEntryIn(InputSchema):
    insight_id: ObjectId
    contact_id: ObjectId
    dots: int = Field(ge=0, le=voting.MAX_BUDGET, description="0 removes the customer's dots.")


class PaperTallyIn(InputSchema):
    entries: list[TallyEntryIn] = Field(
        min_length=1,
        max_length=10_000,
        description="Cells of the tally grid; cells not given keep their dots.",
    )


class BallotOut(Schema):
    contact_id: int
    name: str
    organisation: str
    spent: int
    left: int
    link_delivery: Literal["queued", "delivered", "failed"] | None = Field(
        None,
        description=(
            "The latest email of their voting link in this round: queued, delivered (the "
            "mail server accepted it) or failed (see `link_delivery_error`); null: not emailed."
        ),
    )
    link_delivery_error: str = Field("", description="Why the link was not delivered.")


class VotingOut(Schema):
    session_id: int
    state: Literal["not_opened", "open", "closed"]
    budget: int
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_by_system: bool = Field(
        False, description="Closed by the system (e.g. the session was cancelled)."
    )
    close_reason: str = ""
    ballots: list[BallotOut]


class VotingLinksIn(InputSchema):
    contact_ids: list[ObjectId] | None = Field(
        None,
        max_length=500,
        description="Only these invited customers (contact ids); leave out for all of them.",
    )


class LinkSentOut(Schema):
    contact_id: int
    name: str


class LinkSkippedOut(Schema):
    contact_id: int
    name: str
    reason: str = Field(description='Why not, e.g. "has not agreed to be contacted".')


class VotingLinksOut(Schema):
    sent: list[LinkSentOut] = Field(
        description=(
            "Queued now: each gets their own link only. Not yet delivered: whether it went "
            "is recorded when it is sent (see `link_deliveries` of the voting state)."
        )
    )
    skipped: list[LinkSkippedOut]


class SegmentDotsOut(Schema):
    segment: str
    label: str
    dots: int


class OrganisationDotsOut(Schema):
    customer_id: int
    name: str
    dots: int


class ContributorOut(Schema):
    insight_id: int
    speaker_name: str
    customer_id: int | None
    organisation: str
    text: str


class RankedCardOut(Schema):
    rank: int
    insight_id: int
    kind: str
    text: str
    step_id: int | None = Field(
        description="The step the card was on (at close, for a closed round); null if none."
    )
    step_title: str
    speaker_name: str
    organisation: str
    contributors: list[ContributorOut] = Field(
        description="Whose words the card holds (itself first, then cards merged into it), "
        "each with its own speaker and organisation; those you may see."
    )
    hidden_contributors: int = Field(
        description="Contributions from organisations you may not see."
    )
    dots: int
    voters: int = Field(description="How many customers put at least one dot on it.")
    by_segment: list[SegmentDotsOut]
    by_organisation: list[OrganisationDotsOut]


class KindRankingOut(Schema):
    kind: str
    label: str
    cards: list[RankedCardOut]


class VotingResultsOut(Schema):
    session_id: int
    state: Literal["not_opened", "open", "closed"]
    budget: int
    participants: int
    voted: int
    dots_cast: int
    frozen: bool = Field(description="Read from the ranking frozen when voting closed.")
    overall: list[RankedCardOut]
    kinds: list[KindRankingOut]


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


def _card(card: ranking.RankedCard, found: ranking.Results) -> RankedCardOut:
    return RankedCardOut(
        rank=card.rank,
        insight_id=card.insight_id,
        kind=card.kind,
        text=card.text,
        step_id=card.step_id,
        step_title=card.step_title,
        speaker_name=card.speaker_name,
        organisation=card.organisation,
        contributors=[
            ContributorOut(
                insight_id=c.insight_id,
                speaker_name=c.speaker_name,
                customer_id=c.customer_id,
                organisation=c.organisation,
                text=c.text,
            )
            for c in card.contributors
        ],
        hidden_contributors=card.hidden_contributors,
        dots=card.dots,
        voters=card.voters,
        by_segment=[
            SegmentDotsOut(segment=value, label=label, dots=n)
            for (value, label), n in zip(found.segments, card.segment_cells, strict=True)
        ],
        by_organisation=[
            OrganisationDotsOut(customer_id=cid, name=name, dots=n)
            for (cid, name), n in zip(found.organisations, card.organisation_cells, strict=True)
        ],
    )


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
    )
    return _voting(session)


@router.get(
    "/sessions/{session_id}/voting/results",
    response=responses({200: VotingResultsOut}, object_path=True),
    operation_id="get_voting_results",
    summary="Ranked moments of truth, issues and ideas with breakdowns by segment and organisation",
)
def get_voting_results(request: HttpRequest, session_id: int) -> VotingResultsOut:
    """Ranked by dots, then by the number of customers who voted for the card, then in capture
    order. Internal participants' remarks are never ranked."""
    v = viewer(request)
    found = ranking.results(selectors.session_for(v, session_id), v)
    return VotingResultsOut(
        session_id=found.session.pk,
        state=_state(found.round),
        budget=found.budget,
        participants=found.participants,
        voted=found.voted,
        dots_cast=found.dots_cast,
        frozen=found.frozen,
        overall=[_card(c, found) for c in found.overall],
        kinds=[
            KindRankingOut(kind=k.kind, label=k.label, cards=[_card(c, found) for c in k.cards])
            for k in found.kinds
        ],
    )
