"""What the facilitator and readers see of a session's voting: each customer's ballot, the
ranked results with their segment and organisation breakdowns, and the cards on the shared
screen in the room. The voting use-cases (and their rules) are in ``voting/``.

Ranking: cards by dots, then by how many customers voted for them, then in capture order.
Internal participants' remarks are never on the ballot, so never ranked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace

from django.db.models import Sum

from traction.core.permissions import Viewer
from traction.customers.models import Contact, Segment
from traction.sessions.models import Invitation, RsvpStatus, Session

from . import links, rules, selectors
from .models import (
    VOTABLE_KINDS,
    FrozenCard,
    FrozenVote,
    Insight,
    InsightKind,
    LinkDelivery,
    Vote,
    VotingRound,
)
from .voting import DEFAULT_BUDGET, KIND_PLURALS

# --- the facilitator's overview -----------------------------------------------------------------


@dataclass
class BallotRow:
    """One customer participant's ballot: what they spent, what is left, their link."""

    contact: Contact
    invitation_id: int
    spent: int
    budget: int
    # The latest email of their link in this round: queued, delivered, or not (and why).
    link_delivery: LinkDelivery | None = None

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
    delivered = (
        {d.invitation_id: d for d in LinkDelivery.objects.filter(round=found)} if found else {}
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
            link_delivery=delivered.get(i.pk),
        )
        for i in invitations
    ]


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contributor:
    """One source of a card: whose words, from which organisation (a merged card has several)."""

    insight_id: int
    speaker_name: str
    customer_id: int | None
    organisation: str
    internal: bool
    text: str


@dataclass
class RankedCard:
    """One card of the ranking, live or as frozen when voting closed."""

    insight_id: int
    kind: str
    text: str
    step_id: int | None
    step_title: str
    scenario_title: str
    speaker_name: str
    organisation: str
    contributors: list[Contributor] = field(default_factory=list)  # those the viewer may see
    hidden_contributors: int = 0  # sources from organisations the viewer may not see
    position: int = 0  # capture order
    rank: int = 0
    dots: int = 0
    voters: int = 0
    by_segment: dict[str, int] = field(default_factory=dict)  # segment value -> dots
    by_organisation: dict[int, int] = field(default_factory=dict)  # customer id -> dots
    segment_cells: list[int] = field(default_factory=list)  # aligned with Results.segments
    organisation_cells: list[int] = field(default_factory=list)  # with Results.organisations

    @property
    def kind_label(self) -> str:
        return str(InsightKind(self.kind).label)


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
    voted: int  # customer participants who cast at least one dot on a card shown
    dots_cast: int  # dots on the cards shown
    frozen: bool = False  # read from the snapshot taken when voting closed

    @property
    def budget(self) -> int:
        return self.round.budget if self.round else 0


@dataclass
class _Tally:
    """A card's dots by voter: (contact id, customer id, organisation, segment, dots)."""

    card: RankedCard
    votes: list[tuple[int, int, str, str, int]] = field(default_factory=list)


def _ranked(cards: list[RankedCard]) -> list[RankedCard]:
    ordered = sorted(cards, key=lambda c: (-c.dots, -c.voters, c.position))
    return [replace(c, rank=n) for n, c in enumerate(ordered, start=1)]


def _contributor(insight: Insight) -> Contributor:
    return Contributor(
        insight_id=insight.pk,
        speaker_name=insight.speaker_name,
        customer_id=insight.customer_id,
        organisation=insight.customer.name if insight.customer else "",
        internal=insight.internal,
        text=insight.text,
    )


def _live_tallies(session: Session) -> list[_Tally]:
    """The session's votable cards with their dots by voter, as they are now."""
    found = list(
        Insight.objects.votable()
        .filter(session=session)
        .select_related("step", "scenario", "customer")
        .order_by("created_at", "id")
    )
    merged: dict[int, list[Insight]] = defaultdict(list)
    for source in (
        Insight.objects.filter(merged_into__in=[c.pk for c in found])
        .select_related("customer")
        .order_by("created_at", "id")
    ):
        assert source.merged_into_id is not None
        merged[source.merged_into_id].append(source)
    tallies = {
        card.pk: _Tally(
            card=RankedCard(
                insight_id=card.pk,
                kind=card.kind,
                text=card.text,
                step_id=card.step_id,
                step_title=card.step.title if card.step else "",
                scenario_title=card.scenario.title if card.scenario else "",
                speaker_name=card.speaker_name,
                organisation=card.customer.name if card.customer else "",
                contributors=[_contributor(i) for i in [card, *merged[card.pk]]],
                position=n,
            )
        )
        for n, card in enumerate(found, start=1)
    }
    for vote in Vote.objects.filter(insight_id__in=tallies).select_related("contact__customer"):
        customer = vote.contact.customer
        tallies[vote.insight_id].votes.append(
            (vote.contact_id, customer.pk, customer.name, customer.segment, vote.dots)
        )
    return list(tallies.values())


def _frozen_tallies(found: VotingRound) -> list[_Tally]:
    tallies: dict[int, _Tally] = {}
    for row in FrozenCard.objects.filter(round=found, closing=found.closings).order_by("position"):
        tallies[row.pk] = _Tally(
            card=RankedCard(
                insight_id=row.insight_id,
                kind=row.kind,
                text=row.text,
                step_id=row.step_id,
                step_title=row.step_title,
                scenario_title=row.scenario_title,
                speaker_name=row.speaker_name,
                organisation=row.organisation,
                contributors=[Contributor(**c) for c in row.contributors],
                position=row.position,
            )
        )
    for vote in FrozenVote.objects.filter(card_id__in=tallies):
        tallies[vote.card_id].votes.append(
            (vote.contact_id, vote.customer_id, vote.organisation, vote.segment, vote.dots)
        )
    return list(tallies.values())


def _is_frozen(found: VotingRound | None) -> bool:
    return found is not None and not found.is_open and found.closings > 0


def results(session: Session, viewer: Viewer) -> Results:
    """The ranking of the session's votable cards, as the viewer may see it (the caller
    checked the session).

    Ranked by dots, then by the number of customers who voted for the card, then in capture
    order; overall and per kind (moments of truth, issues and ideas), each card with its dots
    by the voters' segment and organisation. A closed round is read from the snapshot taken
    when it closed, never recomputed. Everything is computed over what the viewer may see:
    the cards and their contributors (``rules.visible_insights``), and the voters, whose
    organisations the viewer may identify (``rules.visible_customer_ids``): a card's dots,
    its voters, its segment and organisation columns, the participants, who voted and the
    dots cast count only those voters. An account owner reads their own customers' votes on
    their own customers' cards, nothing of anyone else's.
    """
    seen = set(
        rules.visible_insights(viewer, Insight.objects.filter(session=session)).values_list(
            "pk", flat=True
        )
    )
    return _results(session, seen, rules.visible_customer_ids(viewer))


def results_for_system(session: Session) -> Results:
    """The whole ranking, unscoped: every card, every voter, every organisation.

    For the system only, never for a person: the closing of a round and the checks that
    compare the frozen figures with the live ones need every dot, whoever may read them
    later (each reader is scoped when reading, through ``results``)."""
    return _results(session, None, None)


def _results(session: Session, seen: set[int] | None, customers: set[int] | None) -> Results:
    """The ranking over the cards ``seen`` and the voters of ``customers`` (None: all)."""
    found = voting_round(session)
    frozen = _is_frozen(found)
    if frozen:
        assert found is not None
        tallies = _frozen_tallies(found)
    else:
        tallies = _live_tallies(session)
    if seen is not None:
        kept = []
        for tally in tallies:
            if tally.card.insight_id not in seen:
                continue
            shown = [c for c in tally.card.contributors if c.insight_id in seen]
            tally.card.hidden_contributors = len(tally.card.contributors) - len(shown)
            tally.card.contributors = shown
            kept.append(tally)
        tallies = kept
    if customers is not None:
        for tally in tallies:  # only the votes of organisations the viewer may identify
            tally.votes = [v for v in tally.votes if v[1] in customers]
    voted: set[int] = set()
    segments: set[str] = set()
    organisations: dict[int, str] = {}
    dots_cast = 0
    for tally in tallies:
        card = tally.card
        voters: set[int] = set()
        for contact_id, customer_id, organisation, segment, n in tally.votes:
            card.dots += n
            voters.add(contact_id)
            card.by_segment[segment] = card.by_segment.get(segment, 0) + n
            card.by_organisation[customer_id] = card.by_organisation.get(customer_id, 0) + n
            segments.add(segment)
            organisations[customer_id] = organisation
            voted.add(contact_id)
            dots_cast += n
        card.voters = len(voters)
    segment_columns = [(s.value, str(s.label)) for s in Segment if s.value in segments]
    organisation_columns = sorted(organisations.items(), key=lambda kv: (kv[1].lower(), kv[0]))
    cards = [t.card for t in tallies]
    for card in cards:
        card.segment_cells = [card.by_segment.get(s, 0) for s, _ in segment_columns]
        card.organisation_cells = [card.by_organisation.get(o, 0) for o, _ in organisation_columns]
    return Results(
        session=session,
        round=found,
        overall=_ranked(cards),
        kinds=[
            KindRanking(
                kind=str(kind),
                label=KIND_PLURALS[kind],
                cards=_ranked([c for c in cards if c.kind == kind]),
            )
            for kind in VOTABLE_KINDS
        ],
        segments=segment_columns,
        organisations=organisation_columns,
        participants=_participants(session, found if frozen else None, customers),
        voted=len(voted),
        dots_cast=dots_cast,
        frozen=frozen,
    )


def _participants(session: Session, frozen: VotingRound | None, customers: set[int] | None) -> int:
    """The customer participants of the organisations ``customers`` (None: all): as they were
    when the round closed (``frozen``), else as they are now."""
    if frozen is not None:
        if customers is None and frozen.participants_at_close is not None:
            return frozen.participants_at_close
        by_customer = frozen.participants_by_customer
        if by_customer is not None:
            return sum(
                n for c, n in by_customer.items() if customers is None or int(c) in customers
            )
    live = selectors.customer_participants(session)
    if customers is not None:
        live = live.filter(customer_id__in=customers)
    return live.count()


def freeze(found: VotingRound) -> int:
    """Write the round's ranking as it stands as closing number ``found.closings`` (the
    caller, ``close_voting``, holds the round's lock and bumped the number); returns the
    number of cards frozen. Every card and voter, unscoped: readers are scoped when read."""
    session = found.session
    tallies = _live_tallies(session)
    for tally in tallies:
        card = tally.card
        row = FrozenCard.objects.create(
            round=found,
            closing=found.closings,
            insight_id=card.insight_id,
            position=card.position,
            kind=card.kind,
            text=card.text,
            step_id=card.step_id,
            step_title=card.step_title,
            scenario_title=card.scenario_title,
            speaker_name=card.speaker_name,
            customer_id=card.contributors[0].customer_id,
            organisation=card.organisation,
            contributors=[asdict(c) for c in card.contributors],
            dots=sum(v[4] for v in tally.votes),
            voters=len({v[0] for v in tally.votes}),
        )
        FrozenVote.objects.bulk_create(
            FrozenVote(
                card=row,
                contact_id=contact_id,
                customer_id=customer_id,
                organisation=organisation,
                segment=segment,
                dots=n,
            )
            for contact_id, customer_id, organisation, segment, n in tally.votes
        )
    by_customer: dict[str, int] = defaultdict(int)
    for contact in selectors.customer_participants(session):
        by_customer[str(contact.customer_id)] += 1
    found.participants_at_close = sum(by_customer.values())
    found.participants_by_customer = dict(by_customer)
    found.save(update_fields=["participants_at_close", "participants_by_customer"])
    return len(tallies)


# --- the shared screen in the room -------------------------------------------------------------


@dataclass
class RoomCard:
    """A card on the shared screen: its words and step, no speaker."""

    pk: int
    text: str
    step_title: str
    total_dots: int
    voter_dots: int


@dataclass
class RoomGroup:
    title: str  # "Team Blue · Issues"
    cards: list[RoomCard]


def room_board(session: Session, voter_id: int | None, viewer: Viewer) -> list[RoomGroup]:
    """The votable cards the viewer may see, grouped by scenario, then kind, each with its
    total dots and the chosen customer's dots (no speaker is shown on the shared screen),
    counting only the votes of organisations the viewer may identify (as ``results``).
    A closed round shows its frozen ranking's figures."""
    found = voting_round(session)
    if _is_frozen(found):
        assert found is not None
        tallies = _frozen_tallies(found)
    else:
        tallies = _live_tallies(session)
    seen = set(
        rules.visible_insights(viewer, Insight.objects.filter(session=session)).values_list(
            "pk", flat=True
        )
    )
    customers = rules.visible_customer_ids(viewer)
    groups: dict[tuple[str, str], RoomGroup] = {}
    order: dict[str, int] = {k.value: n for n, k in enumerate(VOTABLE_KINDS)}
    firsts: dict[str, int] = {}
    for tally in tallies:
        card = tally.card
        if card.insight_id not in seen:
            continue
        # Dots of the organisations the viewer may identify only, as in ``results``.
        votes = [v for v in tally.votes if customers is None or v[1] in customers]
        scenario = card.scenario_title or "No scenario"
        firsts.setdefault(card.scenario_title, card.position)
        key = (card.scenario_title, card.kind)
        if key not in groups:
            label = KIND_PLURALS[InsightKind(card.kind)]
            groups[key] = RoomGroup(title=f"{scenario} · {label}", cards=[])
        groups[key].cards.append(
            RoomCard(
                pk=card.insight_id,
                text=card.text,
                step_title=card.step_title,
                total_dots=sum(v[4] for v in votes),
                voter_dots=sum(v[4] for v in votes if v[0] == voter_id),
            )
        )
    return [
        groups[k] for k in sorted(groups, key=lambda k: (k[0] == "", firsts[k[0]], order[k[1]]))
    ]
