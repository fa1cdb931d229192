"""API shapes for customer voting: the round, ballots, room dots, paper tallies, voting links
and the ranked results."""

import datetime as dt
from typing import Literal

from django.conf import settings
from ninja import Field, Schema

from traction.core.api import (
    PAGE_SIZE_HELP,
    FilterSchema,
    InputSchema,
    ObjectId,
    PageNumber,
    PageSize,
)
from traction.voting.services.checks import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET


class VotingBudgetIn(InputSchema):
    budget: int = Field(
        DEFAULT_BUDGET,
        ge=MIN_BUDGET,
        le=MAX_BUDGET,
        description="Dots each customer participant may spend (several may go on one card).",
    )


class VotingReopenIn(InputSchema):
    reason: str = Field(
        min_length=1, max_length=300, description="Why the closed round is reopened (audited)."
    )
    budget: int | None = Field(
        None,
        ge=MIN_BUDGET,
        le=MAX_BUDGET,
        description="A new budget; leave out to keep it.",
    )


class RemoveDotsIn(InputSchema):
    contact_id: ObjectId = Field(description="The customer participant whose dots go.")
    reason: str = Field(min_length=1, max_length=300, description="Why (audited).")


class RemovedDotsOut(Schema):
    contact_id: int
    removed: dict[str, int] = Field(description="Dots removed per card id.")


class VotingBudgetChangeIn(InputSchema):
    budget: int = Field(ge=MIN_BUDGET, le=MAX_BUDGET)


class RoomDotIn(InputSchema):
    contact_id: ObjectId = Field(description="The customer participant who is voting.")
    insight_id: ObjectId = Field(description="The card: a moment of truth, issue or idea.")
    change: Literal["add", "remove"] = Field(description="Add one dot, or take one back.")


class TallyEntryIn(InputSchema):
    insight_id: ObjectId
    contact_id: ObjectId
    dots: int = Field(ge=0, le=MAX_BUDGET, description="0 removes the customer's dots.")


class PaperTallyIn(InputSchema):
    entries: list[TallyEntryIn] = Field(
        min_length=1,
        max_length=10_000,
        description="Cells of the tally grid; cells not given keep their dots.",
    )
    reason: str = Field(
        max_length=300,
        description="Why these dots are entered for the customers (required), e.g. "
        "“Paper ballot in the session”; kept with each changed cell.",
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
    entered_for_them: int = Field(
        0, description="Of `spent`, the dots a member entered for them (a paper round)."
    )
    entered_by: list[str] = Field(
        [], description='Who entered those dots and why, as "<member>: <reason>".'
    )
    withdrawn: int = Field(
        0, description="Dots entered for them and withdrawn since (they count nowhere now)."
    )


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
    cards: list[RankedCardOut] = Field(description="The page's cards of this kind, ranked.")
    count: int = Field(description="Cards of this kind in all.")


class VotingResultsOut(Schema):
    session_id: int
    state: Literal["not_opened", "open", "closed"]
    budget: int
    participants: int
    voted: int
    dots_cast: int
    frozen: bool = Field(description="Read from the ranking frozen when voting closed.")
    overall: list[RankedCardOut] = Field(description="The page's cards, ranked.")
    overall_count: int = Field(description="Cards in the overall ranking, in all.")
    kinds: list[KindRankingOut]


class ResultsPage(FilterSchema):
    """Which cards of each ranked list to return (every figure counts them all)."""

    page: PageNumber = 1
    page_size: PageSize = Field(settings.NINJA_PAGINATION_PER_PAGE, description=PAGE_SIZE_HELP)
