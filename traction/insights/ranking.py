"""What the facilitator and readers see of a session's voting: each customer's ballot, the
ranked results with their segment and organisation breakdowns, and the cards on the shared
screen in the room. The voting use-cases (and their rules) are in ``voting/``.

Ranking: cards by dots, then by how many customers voted for them, then in capture order.
Internal participants' remarks are never on the ballot, so never ranked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum

from traction.customers.models import Contact, Segment
from traction.sessions.models import Invitation, RsvpStatus, Session

from . import links, selectors
from .models import VOTABLE_KINDS, Insight, InsightKind, Vote, VotingRound
from .voting import DEFAULT_BUDGET, KIND_PLURALS, votable_cards

# --- the facilitator's overview -----------------------------------------------------------------


@dataclass
class BallotRow:
    """One customer participant's ballot: what they spent, what is left, their link."""

    contact: Contact
    invitation_id: int
    spent: int
    budget: int

    @property
    def left(self) -> int:
        return max(0, self.budget - self.spent)

    @property
    def link(self) -> str:
        # Made on demand from the invitation: voting links are stored nowhere.
        return links.url_for(self.invitation_id, self.contact.pk)


def voting_round(session: Session) -> VotingRound | None:
    return VotingRound.objects.filter(session=session).first()


def ballots(session: Session) -> list[BallotRow]:
    """Each customer participant (invited, not declined) with their dots spent and left."""
    found = voting_round(session)
    budget = found.budget if found else DEFAULT_BUDGET
    used = dict(
        Vote.objects.filter(session=session)
        .values("contact_id")
        .annotate(n=Sum("dots"))
        .values_list("contact_id", "n")
    )
    invitations = (
        Invitation.objects.filter(session=session)
        .exclude(rsvp=RsvpStatus.DECLINED)
        .select_related("contact", "contact__customer")
        .order_by("contact__name", "contact_id")
    )
    return [
        BallotRow(
            contact=i.contact,
            invitation_id=i.pk,
            spent=int(used.get(i.contact_id) or 0),
            budget=budget,
        )
        for i in invitations
    ]


# --- results ------------------------------------------------------------------------------------


@dataclass
class RankedCard:
    insight: Insight
    rank: int = 0
    dots: int = 0
    voters: int = 0
    by_segment: dict[str, int] = field(default_factory=dict)  # segment value -> dots
    by_organisation: dict[int, int] = field(default_factory=dict)  # customer id -> dots
    segment_cells: list[int] = field(default_factory=list)  # aligned with Results.segments
    organisation_cells: list[int] = field(default_factory=list)  # with Results.organisations


@dataclass
class KindRanking:
    kind: str
    label: str
    cards: list[RankedCard]


@dataclass
class Results:
    session: Session
    round: VotingRound | None
    overall: list[RankedCard]
    kinds: list[KindRanking]
    segments: list[tuple[str, str]]  # (value, label) of the columns
    organisations: list[tuple[int, str]]  # (customer id, name) of the columns
    participants: int
    voted: int  # customer participants who cast at least one dot
    dots_cast: int

    @property
    def budget(self) -> int:
        return self.round.budget if self.round else 0


def _ranked(cards: list[RankedCard]) -> list[RankedCard]:
    # Capture order is (created_at, id): the cards arrive in it, and sorted() is stable.
    ordered = sorted(cards, key=lambda c: (-c.dots, -c.voters))
    return [
        RankedCard(
            insight=c.insight,
            rank=n,
            dots=c.dots,
            voters=c.voters,
            by_segment=c.by_segment,
            by_organisation=c.by_organisation,
            segment_cells=c.segment_cells,
            organisation_cells=c.organisation_cells,
        )
        for n, c in enumerate(ordered, start=1)
    ]


def results(session: Session) -> Results:
    """The ranking of the session's votable cards (the caller checked the session).

    Ranked by dots, then by the number of customers who voted for the card, then in capture
    order; overall and per kind (moments of truth, issues, ideas), each card with its dots by
    the voters' segment and organisation. Internal remarks are never ranked.
    """
    cards = [RankedCard(insight=c) for c in votable_cards(session)]
    by_id = {c.insight.pk: c for c in cards}
    votes = Vote.objects.filter(session=session, insight_id__in=by_id).select_related(
        "contact__customer"
    )
    voters_of: dict[int, set[int]] = defaultdict(set)
    segments: set[str] = set()
    organisations: dict[int, str] = {}
    for contact in selectors.customer_participants(session):
        segments.add(contact.customer.segment)
        organisations[contact.customer_id] = contact.customer.name
    voted: set[int] = set()
    dots_cast = 0
    for vote in votes:
        card = by_id[vote.insight_id]
        customer = vote.contact.customer
        card.dots += vote.dots
        voters_of[card.insight.pk].add(vote.contact_id)
        card.by_segment[customer.segment] = card.by_segment.get(customer.segment, 0) + vote.dots
        card.by_organisation[customer.pk] = card.by_organisation.get(customer.pk, 0) + vote.dots
        segments.add(customer.segment)
        organisations[customer.pk] = customer.name
        voted.add(vote.contact_id)
        dots_cast += vote.dots
    segment_columns = [(s.value, str(s.label)) for s in Segment if s.value in segments]
    organisation_columns = sorted(organisations.items(), key=lambda kv: (kv[1].lower(), kv[0]))
    for card in cards:
        card.voters = len(voters_of[card.insight.pk])
        card.segment_cells = [card.by_segment.get(s, 0) for s, _ in segment_columns]
        card.organisation_cells = [card.by_organisation.get(o, 0) for o, _ in organisation_columns]
    return Results(
        session=session,
        round=voting_round(session),
        overall=_ranked(cards),
        kinds=[
            KindRanking(
                kind=str(kind),
                label=KIND_PLURALS[kind],
                cards=_ranked([c for c in cards if c.insight.kind == kind]),
            )
            for kind in VOTABLE_KINDS
        ],
        segments=segment_columns,
        organisations=organisation_columns,
        participants=selectors.customer_participants(session).count(),
        voted=len(voted),
        dots_cast=dots_cast,
    )


# --- the shared screen in the room -------------------------------------------------------------


@dataclass
class RoomGroup:
    title: str  # "Team Blue · Issues"
    cards: list[Insight]  # each with ``total_dots`` and ``voter_dots``


def room_board(session: Session, voter_id: int | None) -> list[RoomGroup]:
    """The votable cards grouped by scenario, then kind, each with its total dots and the
    chosen customer's dots (no speaker is shown on the shared screen)."""
    totals: dict[int, int] = defaultdict(int)
    theirs: dict[int, int] = {}
    for vote in Vote.objects.filter(session=session).only("insight_id", "contact_id", "dots"):
        totals[vote.insight_id] += vote.dots
        if vote.contact_id == voter_id:
            theirs[vote.insight_id] = vote.dots
    groups: dict[tuple[int, str], RoomGroup] = {}
    order: dict[str, int] = {k.value: n for n, k in enumerate(VOTABLE_KINDS)}
    for card in votable_cards(session):
        card.total_dots = totals.get(card.pk, 0)  # type: ignore[attr-defined]
        card.voter_dots = theirs.get(card.pk, 0)  # type: ignore[attr-defined]
        scenario = card.scenario.title if card.scenario else "No scenario"
        key = (card.scenario_id or 0, card.kind)
        if key not in groups:
            label = KIND_PLURALS[InsightKind(card.kind)]
            groups[key] = RoomGroup(title=f"{scenario} · {label}", cards=[])
        groups[key].cards.append(card)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0] == 0, k[0], order[k[1]]))]
