"""Reads of the pack area: the debrief to close, the top priorities left undecided, who the
pack goes to, the debrief pack itself (as a viewer may see it) and each account owner's
digest.

Everything a viewer reads is computed over what the policy lets them see: the prioritised
map and the top priorities are voting's ranking read with the viewer (``ranking.results``),
evidence quotes and undecided priorities are the insights the viewer may see
(``rules.visible_insights``), the other records are scoped by ``debrief.view``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    CharField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from traction.accounts.models import Membership
from traction.core import permissions
from traction.core.offering import Offered, typed_words
from traction.core.permissions import Viewer
from traction.customers.models import Customer
from traction.insights import rules as insight_rules
from traction.insights import selectors as insight_selectors
from traction.insights.models import Insight, not_withdrawn
from traction.programs.models import PolicyMaker, ProgramMember
from traction.voting import selectors as ranking

from .models import (
    ActionItem,
    Attendee,
    Debrief,
    DebriefStatus,
    Decision,
    DecisionOutcome,
    Evidence,
    Measurement,
    Recommendation,
    ScorecardMetric,
    Undecided,
)

# The top priorities (the first ``selectors_room.TOP_PRIORITIES`` of the ranking) are the
# room brief's: the debrief must leave each with a decision or a dated deferral.
# How many ranked cards the pack's prioritised map shows (the highest ranked).
MAP_CARDS = 50

DECIDED = (DecisionOutcome.APPROVED, DecisionOutcome.DEFERRED, DecisionOutcome.REJECTED)


def debrief_for(viewer: Viewer, pk: int, action: str = "debrief.view") -> Debrief:
    """The debrief ``pk`` if the viewer may do ``action`` on it (else NotFound)."""
    return permissions.get(
        viewer,
        action,
        Debrief.objects.select_related("session", "program", "closed_by"),
        pk=pk,
    )


def debrief_of_session(viewer: Viewer, session_id: int) -> Debrief:
    """The debrief of session ``session_id`` (the CLI names the session)."""
    return permissions.get(
        viewer,
        "debrief.view",
        Debrief.objects.select_related("session", "program", "closed_by"),
        session_id=session_id,
    )


def is_closed(debrief: Debrief) -> bool:
    return debrief.status == DebriefStatus.CLOSED


# --- the top priorities and what is still undecided ---------------------------------------------


def live_recommendations(debrief: Debrief) -> QuerySet[Recommendation]:
    return Recommendation.objects.filter(debrief=debrief, archived_at__isnull=True)


def decided_insight_ids(debrief: Debrief) -> set[int]:
    """Cards backing a recommendation of this debrief that has a decision (approved, deferred
    with a date, rejected)."""
    return set(
        Evidence.objects.filter(
            recommendation__debrief=debrief,
            recommendation__archived_at__isnull=True,
            recommendation__outcome__in=DECIDED,
        ).values_list("insight_id", flat=True)
    )


def has_decision(debrief: Debrief) -> bool:
    return live_recommendations(debrief).filter(outcome__in=DECIDED).exists()


def top_priorities(viewer: Viewer, debrief: Debrief) -> list[ranking.RankedCard]:
    """The session's top cards by customers' dots (the frozen ranking once voting closed),
    as the viewer may see them; cards without a dot are no priority."""
    from traction.debrief.selectors_room import top_ranking

    return [card for card in top_ranking(viewer, debrief).overall if card.dots > 0]


def undecided_priorities(
    viewer: Viewer, debrief: Debrief, top: list[ranking.RankedCard] | None = None
) -> list[ranking.RankedCard]:
    """The top priorities (``top``, when read already) without a decided recommendation:
    each needs a revisit date to close the debrief."""
    decided = decided_insight_ids(debrief)
    if top is None:
        top = top_priorities(viewer, debrief)
    return [card for card in top if card.insight_id not in decided]


# --- closing: who was asked, who may be added --------------------------------------------------


def attendees(debrief: Debrief) -> list[Attendee]:
    return list(
        Attendee.objects.filter(debrief=debrief)
        .select_related("user")
        .order_by("-is_policy_maker", "user__full_name", "user_id")
    )


def acted_in_room(debrief: Debrief) -> set[int]:
    """Who drafted or decided one of its recommendations once the room was open: they were
    there, so the closing form ticks them present (whoever closes may untick them)."""
    if debrief.opened_at is None:
        return set()
    deciders = Decision.objects.filter(
        recommendation__debrief=debrief, at__gte=debrief.opened_at, decided_by__isnull=False
    ).values_list("decided_by_id", flat=True)
    drafters = Recommendation.objects.filter(
        debrief=debrief, created_at__gte=debrief.opened_at, created_by__isnull=False
    ).values_list("created_by_id", flat=True)
    return set(deciders) | set(drafters)


def policy_maker_ids(debrief: Debrief) -> set[int]:
    """The program's current deciders: its named policy makers and its executive sponsor."""
    ids = set(PolicyMaker.objects.filter(program=debrief.program).values_list("user_id", flat=True))
    if debrief.program.executive_sponsor_id:
        ids.add(debrief.program.executive_sponsor_id)
    return ids


ADDABLE_OFFERED = 30  # members the closing form offers as "also present" at a time


def addable_members(
    debrief: Debrief, *, typed: str = "", chosen: Iterable[int] = ()
) -> Offered[Any]:
    """Current workspace members who were not asked to the debrief (someone who came
    uninvited is added from these), bounded however many members the workspace has: those
    ``chosen`` (ticked, whoever opened the room), then the likely attendees (the program's
    deciders and its core team), then the others by name, ``ADDABLE_OFFERED`` at most besides
    the chosen; ``typed`` ("Find a member") keeps the names and emails holding it. One
    query."""
    program = debrief.program
    chosen = list(dict.fromkeys(chosen))[:ADDABLE_OFFERED]
    typed = typed_words(typed)
    members = (
        get_user_model()
        .objects.filter(
            pk__in=Membership.objects.filter(
                workspace_id=debrief.workspace_id, archived_at__isnull=True
            ).values("user_id")
        )
        .exclude(pk__in=Attendee.objects.filter(debrief=debrief).values("user_id"))
    )
    decides = Q(pk__in=PolicyMaker.objects.filter(program_id=program.pk).values("user_id"))
    if program.executive_sponsor_id:
        decides |= Q(pk=program.executive_sponsor_id)
    core = Q(
        pk__in=ProgramMember.objects.filter(
            program_id=program.pk, kind=ProgramMember.Kind.CORE_TEAM
        ).values("user_id")
    )
    offered = (
        members.filter(Q(full_name__icontains=typed) | Q(email__icontains=typed))
        if typed
        else members
    )
    if chosen:
        offered = offered | members.filter(pk__in=chosen)
    found = list(
        offered.annotate(
            role=Case(
                When(decides, then=Value("decides")),
                When(core, then=Value("core team")),
                default=Value(""),
                output_field=CharField(),
            )
        ).order_by(
            Case(When(pk__in=chosen, then=0), default=1),
            Case(When(decides | core, then=0), default=1),
            "full_name",
            "pk",
        )[: len(chosen) + ADDABLE_OFFERED + 1]
    )
    picked = [u for u in found if u.pk in chosen]
    others = [u for u in found if u.pk not in chosen]
    rows = sorted(
        [*picked, *others[:ADDABLE_OFFERED]],
        key=lambda u: (not getattr(u, "role", ""), u.full_name, u.pk),
    )
    return Offered(rows, typed, len(others) > ADDABLE_OFFERED, limit=ADDABLE_OFFERED)


# --- who the pack goes to ----------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    email: str
    why: str  # "attended", "policy maker", "executive sponsor" (joined by ", ")


@dataclass
class Excluded:
    """Someone the pack would go to (they attended, or decide in the program) who does not
    get it, and why: the pack is only for who may see the debrief."""

    user_id: int
    name: str
    why: str  # as for a recipient: "attended", "policy maker", ...
    reason: str


def _audience(debrief: Debrief) -> tuple[list[Recipient], list[Excluded]]:
    reasons: dict[int, list[str]] = {}
    rows = Attendee.objects.filter(debrief=debrief)
    # Attendance is recorded at closing: before, the attendees were invited, nothing more.
    why = "attended" if is_closed(debrief) else "invited"
    if is_closed(debrief):
        rows = rows.filter(present=True)
    for user_id in rows.values_list("user_id", flat=True):
        reasons.setdefault(user_id, []).append(why)
    for user_id in PolicyMaker.objects.filter(program=debrief.program).values_list(
        "user_id", flat=True
    ):
        reasons.setdefault(user_id, []).append("policy maker")
    sponsor = debrief.program.executive_sponsor_id
    if sponsor:
        reasons.setdefault(sponsor, []).append("executive sponsor")
    roles = dict(
        Membership.objects.filter(
            workspace_id=debrief.workspace_id, user_id__in=list(reasons), user__is_active=True
        ).values_list("user_id", "role")
    )
    program = debrief.program.name
    sent: list[Recipient] = []
    left_out: list[Excluded] = []
    for u in get_user_model().objects.filter(pk__in=list(reasons)).order_by("full_name", "pk"):
        name, because = u.full_name or u.email, ", ".join(reasons[u.pk])
        if u.pk not in roles:
            left_out.append(
                Excluded(u.pk, name, because, "is no longer a member of this workspace")
            )
        # Only who may see the debrief: the pack is made for what each recipient may see.
        elif not permissions.can(
            Viewer(user=u, workspace_id=debrief.workspace_id, role=roles[u.pk]),
            "debrief.view",
            debrief,
        ):
            left_out.append(
                Excluded(u.pk, name, because, f"may not see the debriefs of “{program}”")
            )
        else:
            sent.append(Recipient(user_id=u.pk, name=name, email=u.email, why=because))
    return sent, left_out


def recipients(debrief: Debrief) -> list[Recipient]:
    """Who the pack goes to: the attendees who were there (once closed, "attended"; before,
    everyone asked, "invited"), the program's current policy makers and its executive
    sponsor, who are still members of the workspace and may see the debrief. Never the whole
    workspace, never customers (they are contacts, not members)."""
    return _audience(debrief)[0]


def excluded(debrief: Debrief) -> list[Excluded]:
    """Who attended (or is a policy maker or the sponsor) but gets no pack, with why: they
    may not see the debrief, or left the workspace. Shown on the send page so that nobody
    assumes they have it."""
    return _audience(debrief)[1]


# --- the pack ---------------------------------------------------------------------------------


@dataclass
class MapStep:
    title: str
    cards: list[ranking.RankedCard]


@dataclass
class MapScenario:
    title: str
    outcome: str
    steps: list[MapStep]


@dataclass
class Quote:
    speaker: str
    organisation: str
    text: str


@dataclass
class DecidedRecommendation:
    rec: Recommendation
    quotes: list[Quote]
    hidden_quotes: int  # evidence the viewer may not see, counted
    actions: list[ActionItem]


@dataclass
class UndecidedRow:
    text: str  # "" when the viewer may not see the card
    revisit_on: date
    note: str


@dataclass
class MetricRow:
    metric: ScorecardMetric
    latest_value: Decimal | None
    latest_on: date | None


@dataclass
class Pack:
    debrief: Debrief
    generated_at: datetime
    map: list[MapScenario]
    unmapped: list[ranking.RankedCard]  # ranked cards on no step
    frozen: bool
    decided: list[DecidedRecommendation]
    pending: int  # recommendations drafted but not decided
    undecided: list[UndecidedRow]
    actions: list[ActionItem]
    metrics: list[MetricRow]
    attendees: list[Attendee] = field(default_factory=list)

    @property
    def ranked(self) -> bool:
        """Whether customers ranked anything (a session without voting has no dots)."""
        return bool(self.unmapped) or any(step.cards for s in self.map for step in s.steps)

    @property
    def approved(self) -> list[DecidedRecommendation]:
        return [d for d in self.decided if d.rec.outcome == DecisionOutcome.APPROVED]


def _map(
    viewer: Viewer, debrief: Debrief
) -> tuple[list[MapScenario], list[ranking.RankedCard], bool]:
    found = ranking.results(debrief.session, viewer, limit=MAP_CARDS)
    by_step: dict[int | None, list[ranking.RankedCard]] = {}
    for card in found.overall:
        if card.dots > 0:  # a card nobody dotted is not ranked (as on the close page)
            by_step.setdefault(card.step_id, []).append(card)
    scenarios = [
        MapScenario(
            title=s.title,
            outcome=s.outcome,
            steps=[
                MapStep(title=step.title, cards=by_step.pop(step.pk, [])) for step in s.steps.all()
            ],
        )
        for s in insight_selectors.scenarios(debrief.session)
    ]
    unmapped = [card for cards in by_step.values() for card in cards]
    return scenarios, unmapped, found.frozen


def _quotes(viewer: Viewer, recs: list[Recommendation]) -> dict[int, tuple[list[Quote], int]]:
    """Each recommendation's evidence: the cards the viewer may see (a merged card's sources
    too), as quotes, and how many they may not see."""
    links = list(
        Evidence.objects.filter(recommendation__in=recs).values_list(
            "recommendation_id", "insight_id"
        )
    )
    ids = {insight_id for _, insight_id in links}
    visible = {
        i.pk: i
        for i in insight_rules.visible_insights(
            viewer, Insight.objects.filter(pk__in=ids)
        ).select_related("customer")
    }
    out: dict[int, tuple[list[Quote], int]] = {r.pk: ([], 0) for r in recs}
    for rec_id, insight_id in links:
        quotes, hidden = out[rec_id]
        insight = visible.get(insight_id)
        if insight is None:
            out[rec_id] = (quotes, hidden + 1)
            continue
        quotes.append(
            Quote(
                speaker=insight.speaker_name or "Unattributed",
                organisation=insight.customer.name if insight.customer else "",
                text=insight.text,
            )
        )
    return out


def _latest(field_name: str) -> Subquery:
    return Subquery(
        Measurement.objects.filter(metric=OuterRef("pk"))
        .order_by("-on", "-id")
        .values(field_name)[:1]
    )


def scorecard(viewer: Viewer, debrief: Debrief) -> list[MetricRow]:
    """The program's scorecard metrics (not archived) with baseline, target and the latest
    measurement."""
    metrics = permissions.scope(
        viewer,
        "debrief.view",
        ScorecardMetric.objects.filter(program=debrief.program, archived_at__isnull=True),
    ).select_related("owner")
    return [
        MetricRow(metric=m, latest_value=m.latest_value, latest_on=m.latest_on)
        for m in metrics.annotate(latest_value=_latest("value"), latest_on=_latest("on")).order_by(
            "name", "pk"
        )
    ]


def pack(viewer: Viewer, debrief: Debrief, *, now: datetime) -> Pack:
    """The debrief pack as ``viewer`` may see it, generated from the data (nothing stored)."""
    scenarios, unmapped, frozen = _map(viewer, debrief)
    recs = list(
        permissions.scope(viewer, "debrief.view", live_recommendations(debrief))
        .select_related("decided_by")
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=ActionItem.objects.select_related("owner").order_by("due_on", "pk"),
            )
        )
        .order_by("pk")
    )
    decided = [r for r in recs if r.outcome in DECIDED]
    quotes = _quotes(viewer, decided)
    order = {DecisionOutcome.APPROVED: 0, DecisionOutcome.DEFERRED: 1, DecisionOutcome.REJECTED: 2}
    decided.sort(key=lambda r: (order[DecisionOutcome(r.outcome)], r.pk))
    undecided_rows = list(Undecided.objects.filter(debrief=debrief).order_by("revisit_on", "pk"))
    seen = set(
        insight_rules.visible_insights(
            viewer, Insight.objects.filter(pk__in=[u.insight_id for u in undecided_rows])
        ).values_list("pk", "text")
    )
    texts = dict(seen)
    return Pack(
        debrief=debrief,
        generated_at=now,
        map=scenarios,
        unmapped=unmapped,
        frozen=frozen,
        decided=[
            DecidedRecommendation(
                rec=r,
                quotes=quotes[r.pk][0],
                hidden_quotes=quotes[r.pk][1],
                actions=list(r.actions.all()),
            )
            for r in decided
        ],
        pending=len(recs) - len(decided),
        undecided=[
            UndecidedRow(text=texts.get(u.insight_id, ""), revisit_on=u.revisit_on, note=u.note)
            for u in undecided_rows
        ],
        actions=[a for r in decided for a in r.actions.all()],
        metrics=scorecard(viewer, debrief),
        attendees=attendees(debrief),
    )


# --- account owners' digests ------------------------------------------------------------------


@dataclass
class DigestItem:
    rec: Recommendation
    quotes: list[Quote]  # only their customers' words


@dataclass
class Digest:
    owner_id: int
    customers: list[str]
    items: list[DigestItem]


def _touching(recs: Iterable[Recommendation], customer_ids: set[int]) -> dict[int, list[Quote]]:
    """For each recommendation, the evidence said by these customers (a merged card's sources
    count as said by theirs)."""
    evidence = (
        Evidence.objects.filter(recommendation__in=list(recs))
        .filter(
            Q(insight__customer_id__in=customer_ids)
            | Q(insight__merged__customer_id__in=customer_ids)
        )
        .values_list("recommendation_id", "insight_id")
        .distinct()
    )
    links = list(evidence)
    cards = Insight.objects.filter(not_withdrawn(), pk__in={i for _, i in links}).select_related(
        "customer"
    )
    merged = Insight.objects.filter(
        not_withdrawn(), merged_into__in=[i for _, i in links], customer_id__in=customer_ids
    )
    words: dict[int, list[Quote]] = {}
    for card in [*cards, *merged.select_related("customer")]:
        if card.customer_id in customer_ids:
            target = card.merged_into_id or card.pk
            words.setdefault(target, []).append(
                Quote(
                    speaker=card.speaker_name or "Unattributed",
                    organisation=card.customer.name if card.customer else "",
                    text=card.text,
                )
            )
    out: dict[int, list[Quote]] = {}
    for rec_id, insight_id in links:
        out.setdefault(rec_id, []).extend(words.get(insight_id, []))
    return out


def digests(debrief: Debrief) -> list[Digest]:
    """For each account owner whose customers said something a decided recommendation rests
    on (the customer of an evidence card, or of a card merged into one), those decisions
    with only their customers' words. Who was invited does not decide it: words imported
    from a transcript, captured on a customer's behalf or recorded afterwards count the same.
    An owner nothing touches gets no digest. For the system (the periodic job)."""
    decided = list(
        live_recommendations(debrief)
        .filter(outcome__in=DECIDED)
        .select_related("decided_by")
        .order_by("pk")
    )
    if not decided:
        return []
    evidence = Evidence.objects.filter(recommendation__in=decided).values("insight_id")
    said_by = (
        Insight.objects.filter(not_withdrawn())
        .filter(Q(pk__in=evidence) | Q(merged_into__in=evidence))
        .filter(customer__isnull=False)
        .values("customer_id")
    )
    customers = (
        Customer.objects.filter(
            workspace_id=debrief.workspace_id,
            pk__in=said_by,
            account_owner__isnull=False,
        )
        .select_related("account_owner")
        .distinct()
        .order_by("name", "pk")
    )
    by_owner: dict[int, list[Customer]] = {}
    for customer in customers:
        assert customer.account_owner_id is not None
        by_owner.setdefault(customer.account_owner_id, []).append(customer)
    current = set(
        Membership.objects.filter(
            workspace_id=debrief.workspace_id, user_id__in=list(by_owner)
        ).values_list("user_id", flat=True)
    )
    out = []
    for owner_id, theirs in by_owner.items():
        if owner_id not in current:
            continue
        touching = _touching(decided, {c.pk for c in theirs})
        items = [DigestItem(rec=r, quotes=touching[r.pk]) for r in decided if touching.get(r.pk)]
        if items:
            out.append(Digest(owner_id=owner_id, customers=[c.name for c in theirs], items=items))
    return out
