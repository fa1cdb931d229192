"""What the facilitator and readers see of a session's voting: each customer's ballot, the
ranked results with their segment and organisation breakdowns, and the cards on the shared
screen in the room. The voting use-cases (and their rules) are in ``services/``.

Ranking: cards by dots, then by how many customers voted for them, then in capture order.
Internal participants' remarks are never on the ballot, so never ranked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce

from traction.core import permissions
from traction.core.permissions import Viewer
from traction.customers.models import Contact, Segment
from traction.insights import rules, selectors
from traction.insights.models import VOTABLE_KINDS, Insight, InsightKind, not_withdrawn
from traction.sessions.models import Invitation, RsvpStatus, Session

from . import links
from .models import FrozenCard, FrozenVote, LinkDelivery, Vote, VoteChannel, VotingRound
from .models import counted as vote_counted
from .services.checks import DEFAULT_BUDGET, KIND_PLURALS

# --- what voting adds to the session page and the map -------------------------------------------


def session_section(viewer: Viewer, session: Session) -> dict[str, Any]:
    """The session page's voting section: the round's state, and whether the viewer runs it."""
    return {
        "session": session,
        "voting": VotingRound.objects.filter(session=session).first(),
        "can_vote": permissions.can(viewer, "voting.run", session),
    }


def board_section(viewer: Viewer, session: Session) -> dict[str, Any]:
    """The map's voting links: the ranking for every reader, running the voting for those who
    may."""
    return {"session": session, "can_vote": permissions.allows(viewer, "voting.run")}


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
    # Dots a member entered for them (a paper round) that count, who entered them and why
    # ("<name>: <reason>", one per distinct pair), and paper dots withdrawn since.
    entered_for_them: int = 0
    entered_by: list[str] = field(default_factory=list)
    withdrawn: int = 0
    # Why no email may go to them ("" when one may): unsubscribed from all mail, unreachable.
    not_mailed: str = ""

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
    entered: dict[int, int] = defaultdict(int)
    withdrawn: dict[int, int] = defaultdict(int)
    entered_by: dict[int, dict[str, None]] = defaultdict(dict)
    for contact_id, dots, gone, name, email, why in Vote.history.filter(
        session=session, channel=VoteChannel.PAPER
    ).values_list(
        "contact_id",
        "dots",
        "withdrawn_at",
        "recorded_by__full_name",
        "recorded_by__email",
        "behalf_reason",
    ):
        if gone is not None:
            withdrawn[contact_id] += dots
            continue
        entered[contact_id] += dots
        entered_by[contact_id][f"{name or email or 'A former member'}: {why}"] = None
    invitations = list(
        Invitation.objects.filter(session=session)
        .exclude(rsvp=RsvpStatus.DECLINED)
        .select_related("contact", "contact__customer")
        .order_by("contact__name", "contact_id")
    )
    from traction.customers import reach

    stopped = reach.why_not_mail_many(i.contact for i in invitations)
    return [
        BallotRow(
            contact=i.contact,
            invitation_id=i.pk,
            spent=int(used.get(i.contact_id) or 0),
            budget=budget,
            link_delivery=delivered.get(i.pk),
            entered_for_them=entered[i.contact_id],
            entered_by=list(entered_by[i.contact_id]),
            withdrawn=withdrawn[i.contact_id],
            not_mailed=stopped.get(i.contact_id, ""),
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
    cards: list[RankedCard]  # those shown (see ``results``' limit and offset)
    count: int = 0  # all of them

    @property
    def more(self) -> int:
        """How many cards of the list come after those shown."""
        return max(0, self.count - (self.cards[-1].rank if self.cards else 0))


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
    overall_count: int = 0  # cards in the overall ranking (``overall`` holds those shown)

    @property
    def more(self) -> int:
        """How many cards of the overall ranking come after those shown."""
        return max(0, self.overall_count - (self.overall[-1].rank if self.overall else 0))

    @property
    def budget(self) -> int:
        return self.round.budget if self.round else 0


@dataclass
class _Tally:
    """A card's dots by voter: (contact id, customer id, organisation, segment, dots); the
    card's words, step and contributors are read only for the cards shown (``_fill``)."""

    card: RankedCard
    votes: list[tuple[int, int, str, str, int]] = field(default_factory=list)
    frozen_pk: int = 0  # the FrozenCard the card's details are read from (0: live)
    filled: bool = False  # its details were read with its figures (``_fill`` skips it)


def _contributor(insight: Insight) -> Contributor:
    return Contributor(
        insight_id=insight.pk,
        speaker_name=insight.speaker_name,
        customer_id=insight.customer_id,
        organisation=insight.customer.name if insight.customer else "",
        internal=insight.internal,
        text=insight.text,
    )


def _light_card(insight_id: int, kind: str, position: int, scenario_title: str) -> RankedCard:
    return RankedCard(
        insight_id=insight_id,
        kind=kind,
        text="",
        step_id=None,
        step_title="",
        scenario_title=scenario_title,
        speaker_name="",
        organisation="",
        position=position,
    )


def _live_tallies(session: Session, *, details: bool = True) -> list[_Tally]:
    """The session's votable cards with their dots by voter, as they are now: two queries
    (the cards' ids, the votes); with ``details``, the words of every card as well."""
    cards = (
        Insight.objects.votable()
        .filter(session=session)
        .order_by("created_at", "id")
        .values_list("pk", "kind", "scenario__title")
    )
    tallies = {
        pk: _Tally(card=_light_card(pk, kind, n, scenario or ""))
        for n, (pk, kind, scenario) in enumerate(cards, start=1)
    }
    votes = Vote.objects.filter(session=session).values_list(
        "insight_id",
        "contact_id",
        "contact__customer_id",
        "contact__customer__name",
        "contact__customer__segment",
        "dots",
    )
    for insight_id, contact_id, customer_id, organisation, segment, dots in votes:
        if insight_id in tallies:
            tallies[insight_id].votes.append((contact_id, customer_id, organisation, segment, dots))
    if details:
        _fill(list(tallies.values()))
    return list(tallies.values())


def _frozen_tallies(found: VotingRound, *, details: bool = True) -> list[_Tally]:
    cards = (
        FrozenCard.objects.filter(round=found, closing=found.closings)
        .order_by("position")
        .values_list("pk", "insight_id", "kind", "position", "scenario_title")
    )
    tallies = {
        pk: _Tally(card=_light_card(insight_id, kind, position, scenario), frozen_pk=pk)
        for pk, insight_id, kind, position, scenario in cards
    }
    votes = FrozenVote.objects.filter(card__round=found, card__closing=found.closings)
    for card_id, contact_id, customer_id, organisation, segment, dots in votes.values_list(
        "card_id", "contact_id", "customer_id", "organisation", "segment", "dots"
    ):
        tallies[card_id].votes.append((contact_id, customer_id, organisation, segment, dots))
    if details:
        _fill(list(tallies.values()))
    return list(tallies.values())


# Ids per query when reading cards' details: a page's cards fit in one; a whole session (the
# export, closing a round) is read in slices, within every database's limit on parameters.
FILL_BATCH = 500


def _fill(tallies: list[_Tally]) -> None:
    """Read the words, step, scenario, speaker and contributors of these cards: for a page of
    cards, one query for frozen cards, two for live ones, whatever their number."""
    for start in range(0, len(tallies), FILL_BATCH):
        _fill_batch(tallies[start : start + FILL_BATCH])


# What a frozen card's details are read from: its columns as frozen.
_FROZEN_WORDS = (
    "text",
    "step_id",
    "step_title",
    "scenario_title",
    "speaker_name",
    "organisation",
    "contributors",
)


def _frozen_words(card: RankedCard, row: dict[str, Any]) -> None:
    """Set ``card``'s details from a frozen card's ``_FROZEN_WORDS`` columns."""
    card.text, card.step_id, card.step_title = row["text"], row["step_id"], row["step_title"]
    card.scenario_title, card.speaker_name = row["scenario_title"], row["speaker_name"]
    card.organisation = row["organisation"]
    card.contributors = [Contributor(**c) for c in row["contributors"]]


def _fill_batch(tallies: list[_Tally]) -> None:
    frozen = {t.frozen_pk: t.card for t in tallies if t.frozen_pk}
    if frozen:
        for row in FrozenCard.objects.filter(pk__in=frozen).values("pk", *_FROZEN_WORDS):
            _frozen_words(frozen[row["pk"]], row)
    live = {t.card.insight_id: t.card for t in tallies if not t.frozen_pk}
    if not live:
        return
    merged: dict[int, list[Insight]] = defaultdict(list)
    for source in (
        Insight.objects.filter(not_withdrawn(), merged_into__in=live)
        .select_related("customer")
        .order_by("created_at", "id")
    ):
        assert source.merged_into_id is not None
        merged[source.merged_into_id].append(source)
    for insight in Insight.objects.filter(pk__in=live).select_related(
        "step", "scenario", "customer"
    ):
        card = live[insight.pk]
        card.text, card.step_id = insight.text, insight.step_id
        card.step_title = insight.step.title if insight.step else ""
        card.scenario_title = insight.scenario.title if insight.scenario else ""
        card.speaker_name = insight.speaker_name
        card.organisation = insight.customer.name if insight.customer else ""
        card.contributors = [_contributor(i) for i in [insight, *merged[insight.pk]]]


def _is_frozen(found: VotingRound | None) -> bool:
    return found is not None and not found.is_open and found.closings > 0


def results(
    session: Session,
    viewer: Viewer,
    *,
    limit: int | None = None,
    offset: int = 0,
    kinds: bool = True,
    totals: bool = True,
) -> Results:
    """The ranking of the session's votable cards, as the viewer may see it (the caller
    checked the session).

    Ranked by dots, then by the number of customers who voted for the card, then in capture
    order; overall and per kind (moments of truth, issues and ideas), each card with its dots
    by the voters' segment and organisation. A closed round is read from the snapshot taken
    when it closed, never recomputed. Everything is computed over what the viewer may see:
    the cards and their contributors (``rules.visible_insights``), and the voters, whose
    organisations the viewer may identify (``rules.visible_customers``): a card's dots,
    its voters, its segment and organisation columns, the participants, who voted and the
    dots cast count only those voters. An account owner reads their own customers' votes on
    their own customers' cards, nothing of anyone else's.

    ``limit`` and ``offset`` choose the cards shown of each list (overall and per kind, the
    same slice of each): every figure is computed over all the cards, exactly, in the
    database, which ranks the cards and returns only those shown; their words and breakdowns
    are read for them alone, so the queries are the same whatever the session's size
    (``Results.overall_count`` and each ``KindRanking.count`` say how many there are).

    ``kinds=False`` is for a reader of the overall list alone (the debrief's top
    priorities): each kind's list is left empty (its count is still given).
    ``totals=False`` is for a reader of the cards alone: how many cards each list has and the
    participants are not counted (left 0); who voted and the dots cast still are.
    """
    return _results(session, viewer, limit=limit, offset=offset, kinds=kinds, totals=totals)


def results_for_system(session: Session) -> Results:
    """The whole ranking, unscoped: every card, every voter, every organisation.

    For the system only, never for a person: the closing of a round and the checks that
    compare the frozen figures with the live ones need every dot, whoever may read them
    later (each reader is scoped when reading, through ``results``)."""
    return _results(session, None)


@dataclass(frozen=True)
class _Source:
    """Where a ranking is read from, scoped to its reader: the live cards and their votes,
    or the ranking frozen when the round closed (``FrozenCard`` and its ``FrozenVote``).

    ``cards``: the cards the reader may see. ``counted``: which of a card's ``votes`` count,
    as seen from the card (those of the voters whose organisations the reader may
    identify). ``votes``: the same votes of the session (or of the closing), to filter to
    ``cards``; ``card`` names a vote's card, ``customer`` … ``segment`` the voter's fields
    on a vote. ``then`` is the capture order, the ranking's last tie-break. ``as_frozen``:
    the cards are frozen and every one of their votes counts for this reader (they may
    identify every organisation), so each card's figures are those frozen with it."""

    cards: QuerySet[Any]
    counted: Q
    votes: QuerySet[Any]
    card: str
    customer: str
    organisation: str
    segment: str
    then: tuple[str, ...]
    frozen: bool
    as_frozen: bool = False


def _source(session: Session, found: VotingRound | None, viewer: Viewer | None) -> _Source:
    customers = None if viewer is None else rules.visible_customers(viewer)
    if _is_frozen(found):
        assert found is not None
        cards: QuerySet[Any] = FrozenCard.objects.filter(round=found, closing=found.closings)
        if viewer is not None:  # the cards the reader may see now, as for live ones
            seen = rules.visible_insights(viewer, Insight.objects.filter(session=session))
            # Each frozen card asks for its own insight (a semi-join by primary key) rather
            # than the database listing every card of the session the reader may see.
            cards = cards.filter(Exists(seen.filter(pk=OuterRef("insight_id"))))
        votes: QuerySet[Any] = FrozenVote.objects.filter(
            card__round=found, card__closing=found.closings
        )
        counted = Q()
        if customers is not None:
            votes = votes.filter(customer__in=customers.values("pk"))
            counted = Q(votes__customer__in=customers.values("pk"))
        return _Source(
            cards=cards,
            counted=counted,
            votes=votes,
            card="card",
            customer="customer_id",
            organisation="organisation",
            segment="segment",
            then=("position",),
            frozen=True,
            as_frozen=customers is None,
        )
    cards = Insight.objects.votable().filter(session=session)
    if viewer is not None:
        cards = rules.visible_insights(viewer, cards)
    votes = Vote.objects.filter(session=session)
    counted = vote_counted("votes__")  # the join reads withdrawn votes too; leave them out
    if customers is not None:
        votes = votes.filter(contact__customer__in=customers.values("pk"))
        counted &= Q(votes__contact__customer__in=customers.values("pk"))
    return _Source(
        cards=cards,
        counted=counted,
        votes=votes,
        card="insight",
        customer="contact__customer_id",
        organisation="contact__customer__name",
        segment="contact__customer__segment",
        then=("created_at", "pk"),
        frozen=False,
    )


@dataclass(frozen=True)
class _Row:
    """A card of the ranking as the database ranked it (its words are read later)."""

    pk: int  # the card's row: the insight, or the frozen card
    insight_id: int
    kind: str
    position: int  # capture order at close (frozen cards; 0 for live ones)
    dots: int
    voters: int
    rank: int  # in its list: overall, or its kind
    # A frozen card read as frozen (``_Source.as_frozen``): its ``_FROZEN_WORDS``, read in
    # the same row (None: read later, by ``_fill``).
    words: dict[str, Any] | None = None


def _ranked(src: _Source, *, kind: str | None, limit: int | None, offset: int) -> list[_Row]:
    """The cards ranked ``offset + 1`` to ``offset + limit`` (all of them with no ``limit``)
    overall, or among those of ``kind``: the database sums each card's counted votes
    (grouping the cards joined to their votes, the narrow columns only), orders the cards
    and returns only those.

    A card's voters are its vote rows: one per card and voter (``Vote``'s constraint; a
    frozen card's votes are a copy of them)."""
    cards = src.cards if kind is None else src.cards.filter(kind=kind)
    columns = ["pk", "kind", *src.then] + (["insight_id"] if src.frozen else [])
    if src.as_frozen:
        # Every vote counts: each card's dots and voters as they were frozen with it, read
        # from the card itself (its votes are not summed again).
        # Its details are in the same row: the cards shown need no second read.
        ranked = cards.order_by("-dots", "-voters", *src.then).values(
            *columns, *_FROZEN_WORDS, counted_dots=F("dots"), counted_voters=F("voters")
        )
    else:
        # Named apart from a frozen card's own ``dots`` and ``voters`` (every voter's).
        ranked = (
            cards.order_by()
            .values(*columns)
            .annotate(
                counted_dots=Coalesce(Sum("votes__dots", filter=src.counted), 0),
                counted_voters=Count("votes", filter=src.counted),
            )
            .order_by("-counted_dots", "-counted_voters", *src.then)
        )
    if limit is not None:
        ranked = ranked[offset : offset + limit]
    return [
        _Row(
            pk=row["pk"],
            insight_id=row["insight_id"] if src.frozen else row["pk"],
            kind=row["kind"],
            position=row["position"] if src.frozen else 0,
            dots=row["counted_dots"],
            voters=row["counted_voters"],
            rank=n,
            words={k: row[k] for k in _FROZEN_WORDS} if src.as_frozen else None,
        )
        for n, row in enumerate(ranked, start=offset + 1)
    ]


def _results(
    session: Session,
    viewer: Viewer | None,
    *,
    limit: int | None = None,
    offset: int = 0,
    kinds: bool = True,
    totals: bool = True,
) -> Results:
    """The ranking as ``viewer`` may see it (None: the system, everything), the cards
    ``offset`` to ``offset + limit`` of each list shown (None: all of them; ``kinds=False``:
    the overall list only, each kind's left empty).

    The same queries whatever the number of cards: the round; the cards shown overall and
    of each kind, ranked and cut in the database (one query each; the whole ranking is one,
    its kinds' lists are taken from it); how many cards each list has; who voted, the dots
    cast and the breakdowns' columns; the shown cards' dots by segment and organisation;
    their words (``_fill``); which of their contributors the viewer may see; and the
    participants."""
    found = voting_round(session)
    src = _source(session, found, viewer)
    overall = _ranked(src, kind=None, limit=limit, offset=offset)
    if not kinds:
        by_kind: dict[str, list[_Row]] = {kind: [] for kind in VOTABLE_KINDS}
    elif limit is None:
        by_kind = {
            kind: [
                replace(row, rank=n)
                for n, row in enumerate((r for r in overall if r.kind == kind), start=1)
            ]
            for kind in VOTABLE_KINDS
        }
    else:
        by_kind = {
            kind: _ranked(src, kind=kind, limit=limit, offset=offset) for kind in VOTABLE_KINDS
        }
    # One count per kind, over the session's cards (no grouping, which would let the
    # database walk the workspace's cards of each kind instead).
    counts = (
        src.cards.aggregate(
            **{kind.value: Count("pk", filter=Q(kind=kind)) for kind in VOTABLE_KINDS}
        )
        if totals
        else dict.fromkeys((kind.value for kind in VOTABLE_KINDS), 0)
    )
    # The votes counted: on a card the viewer may see, by a voter they may identify.
    counted = src.votes.filter(Exists(src.cards.filter(pk=OuterRef(src.card))))
    # Who voted, the dots cast, and the breakdowns' columns: every organisation and segment
    # that voted, whether its cards are shown or not (one row per voter).
    voted: set[int] = set()
    segments: set[str] = set()
    organisations: dict[int, str] = {}
    dots_cast = 0
    for contact_id, customer_id, organisation, segment, n in (
        counted.order_by()
        .values("contact_id", src.customer, src.organisation, src.segment)
        .annotate(n=Sum("dots"))
        .values_list("contact_id", src.customer, src.organisation, src.segment, "n")
    ):
        voted.add(contact_id)
        segments.add(segment)
        organisations[customer_id] = organisation
        dots_cast += n
    segment_columns = [(s.value, str(s.label)) for s in Segment if s.value in segments]
    organisation_columns = sorted(organisations.items(), key=lambda kv: (kv[1].lower(), kv[0]))
    # The cards shown (a card can be in the overall list and its kind's): their figures,
    # their dots by segment and organisation (one grouped query), their words.
    tallies: dict[int, _Tally] = {}
    for row in [*overall, *(row for rows in by_kind.values() for row in rows)]:
        if row.pk not in tallies:
            card = _light_card(row.insight_id, row.kind, row.position, "")
            card.dots, card.voters = row.dots, row.voters
            if row.words is not None:
                _frozen_words(card, row.words)
            tallies[row.pk] = _Tally(
                card=card, frozen_pk=row.pk if src.frozen else 0, filled=row.words is not None
            )
    shown = counted if limit is None else counted.filter(**{f"{src.card}__in": list(tallies)})
    for card_pk, customer_id, segment, n in (
        shown.order_by()
        .values(src.card, src.customer, src.segment)
        .annotate(n=Sum("dots"))
        .values_list(src.card, src.customer, src.segment, "n")
    ):
        card = tallies[card_pk].card
        card.by_segment[segment] = card.by_segment.get(segment, 0) + n
        card.by_organisation[customer_id] = card.by_organisation.get(customer_id, 0) + n
    _fill([t for t in tallies.values() if not t.filled])
    if viewer is not None:
        _hide_contributors(session, viewer, [t.card for t in tallies.values()])
    for tally in tallies.values():
        card = tally.card
        card.segment_cells = [card.by_segment.get(s, 0) for s, _ in segment_columns]
        card.organisation_cells = [card.by_organisation.get(o, 0) for o, _ in organisation_columns]

    def ranked(rows: list[_Row]) -> list[RankedCard]:
        return [replace(tallies[row.pk].card, rank=row.rank) for row in rows]

    return Results(
        session=session,
        round=found,
        overall=ranked(overall),
        overall_count=sum(counts.values()),
        kinds=[
            KindRanking(
                kind=str(kind),
                label=KIND_PLURALS[kind],
                cards=ranked(by_kind[kind]),
                count=counts[kind.value],
            )
            for kind in VOTABLE_KINDS
        ],
        segments=segment_columns,
        organisations=organisation_columns,
        participants=_participants(session, found if src.frozen else None, viewer) if totals else 0,
        voted=len(voted),
        dots_cast=dots_cast,
        frozen=src.frozen,
    )


def _hide_contributors(session: Session, viewer: Viewer, cards: list[RankedCard]) -> None:
    """Keep the contributors of ``cards`` the viewer may see, counting the others (one
    query: which of these contributions the viewer may see)."""
    ids = {c.insight_id for card in cards for c in card.contributors}
    seen = (
        set(
            rules.visible_insights(
                viewer, Insight.objects.filter(session=session, pk__in=ids)
            ).values_list("pk", flat=True)
        )
        if ids
        else set()
    )
    for card in cards:
        visible = [c for c in card.contributors if c.insight_id in seen]
        card.hidden_contributors = len(card.contributors) - len(visible)
        card.contributors = visible


def _participants(session: Session, frozen: VotingRound | None, viewer: Viewer | None) -> int:
    """The customer participants of the organisations the viewer may identify (None: all):
    as they were when the round closed (``frozen``), else as they are now."""
    customers = None if viewer is None else rules.visible_customers(viewer)
    if frozen is not None:
        if customers is None and frozen.participants_at_close is not None:
            return frozen.participants_at_close
        by_customer = frozen.participants_by_customer
        if by_customer is not None:
            ids = None if customers is None else set(customers.values_list("pk", flat=True))
            return sum(n for c, n in by_customer.items() if ids is None or int(c) in ids)
    live = selectors.customer_participants(session)
    if customers is not None:
        live = live.filter(customer_id__in=customers.values("pk"))
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
    cards: list[RoomCard]  # those shown, in capture order
    count: int = 0  # the group's cards in all
    more: int = 0  # the group's cards after those shown


def room_board(
    session: Session,
    voter_id: int | None,
    viewer: Viewer,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[RoomGroup]:
    """The votable cards the viewer may see, grouped by scenario, then kind, each with its
    total dots and the chosen customer's dots (no speaker is shown on the shared screen),
    counting only the votes of organisations the viewer may identify (as ``results``).
    A closed round shows its frozen ranking's figures. ``limit`` and ``offset`` choose the
    cards shown of each group, in capture order (None: all); only their words are read, so
    the queries are the same whatever the number of cards."""
    found = voting_round(session)
    if _is_frozen(found):
        assert found is not None
        tallies = _frozen_tallies(found, details=False)
    else:
        tallies = _live_tallies(session, details=False)
    seen = set(
        rules.visible_insights(viewer, Insight.objects.filter(session=session)).values_list(
            "pk", flat=True
        )
    )
    customers = rules.visible_customer_ids(viewer)
    grouped: dict[tuple[str, str], list[_Tally]] = {}
    order: dict[str, int] = {k.value: n for n, k in enumerate(VOTABLE_KINDS)}
    firsts: dict[str, int] = {}
    for tally in tallies:
        card = tally.card
        if card.insight_id not in seen:
            continue
        firsts.setdefault(card.scenario_title, card.position)
        grouped.setdefault((card.scenario_title, card.kind), []).append(tally)
    end = None if limit is None else offset + limit
    keys = sorted(grouped, key=lambda k: (k[0] == "", firsts[k[0]], order[k[1]]))
    _fill([t for k in keys for t in grouped[k][offset:end]])
    groups = []
    for scenario_title, kind in keys:
        members = grouped[(scenario_title, kind)]
        shown = members[offset:end]
        cards = []
        for tally in shown:
            # Dots of the organisations the viewer may identify only, as in ``results``.
            votes = [v for v in tally.votes if customers is None or v[1] in customers]
            cards.append(
                RoomCard(
                    pk=tally.card.insight_id,
                    text=tally.card.text,
                    step_title=tally.card.step_title,
                    total_dots=sum(v[4] for v in votes),
                    voter_dots=sum(v[4] for v in votes if v[0] == voter_id),
                )
            )
        label = KIND_PLURALS[InsightKind(kind)]
        groups.append(
            RoomGroup(
                title=f"{scenario_title or 'No scenario'} · {label}",
                cards=cards,
                count=len(members),
                more=max(0, len(members) - offset - len(shown)),
            )
        )
    return groups
