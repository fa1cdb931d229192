"""What the debrief room reads: the debrief, its clock of phases, the overnight decision
brief (the session's top customer priorities with their quotes, vote spread and earlier
decisions), the coverage meter, and the recommendations with their evidence, decisions
and progress (docs/debrief.md, "The debrief room").

Every figure goes through the viewer's scope: the ranking is voting's, as the viewer may
see it (``voting.selectors.results``); quotes and evidence are the insights the viewer may
see; recommendations those of debriefs they may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from traction.core import clock, dates, permissions
from traction.core.permissions import Viewer
from traction.insights import rules as insight_rules
from traction.insights.models import Insight, InsightKind, InsightStatus, StepSupport
from traction.programs.models import PolicyMaker
from traction.voting import selectors as voting
from traction.voting.selectors import RankedCard

from . import hearing
from .models import (
    ActionItem,
    ActionStatus,
    Debrief,
    Decision,
    DecisionOutcome,
    Evidence,
    Recommendation,
    RecommendationMetric,
    Undecided,
)
from .services.recommendations import customer_hears

# The coverage meter reads the top TOP_PRIORITIES cards of the ranking (fewer when fewer
# cards have votes): docs/debrief.md.
TOP_PRIORITIES = 10
QUOTES_PER_CARD = 3


def debrief(
    viewer: Viewer, pk: int, *, action: str = "debrief.view", deciders: bool = False
) -> Debrief:
    """The debrief, if the viewer may ``action`` it (NotFound otherwise), with its workspace
    (the room's links to other apps' pages name it). With ``deciders``, read in the same
    query: who decides its recommendations (``who_decides``)."""
    found = Debrief.objects.select_related(
        "workspace", "session", "program", "opened_by", "closed_by"
    )
    if deciders:
        found = _with_deciders(found)
    return permissions.get(viewer, action, found, pk=pk)


# Up to this many deciders are named in the room; more are counted.
DECIDERS_NAMED = 3


def _with_deciders(found: QuerySet[Debrief]) -> QuerySet[Debrief]:
    """The program's executive sponsor (joined) and its other current policy makers: how many
    and the first names, as subqueries of the debrief's own query (the room costs no more
    queries for them)."""
    makers = (
        PolicyMaker.objects.filter(program_id=OuterRef("program_id"))
        .filter(
            Q(program__executive_sponsor_id__isnull=True)
            | ~Q(user_id=F("program__executive_sponsor_id"))
        )
        .order_by("user__full_name", "user_id")
    )
    counted = makers.order_by().values("program_id").annotate(n=Count("pk")).values("n")
    names = {
        f"decider_{k}": Subquery(makers.values("user__full_name")[k : k + 1])
        for k in range(DECIDERS_NAMED)
    }
    return found.select_related("program__executive_sponsor").annotate(
        other_deciders=Coalesce(Subquery(counted), 0), **names
    )


def _and(names: list[str], word: str) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def who_decides(found: Debrief) -> str:
    """Who may decide the debrief's recommendations, in a sentence: the program's policy
    makers by name when few (the executive sponsor first), else how many; admins too. Reads
    what ``debrief(…, deciders=True)`` annotated; "" for a debrief read without it."""
    if not hasattr(found, "other_deciders"):
        return ""
    sponsor = found.program.executive_sponsor
    total = found.other_deciders + (1 if sponsor is not None else 0)
    if total == 0:
        return (
            "The program names no policy maker yet: a workspace admin decides, or names its "
            "policy makers on the program page."
        )
    admins = "; a workspace admin may too."
    if total > DECIDERS_NAMED:
        among = " (its executive sponsor among them)" if sponsor is not None else ""
        return f"The program’s {total} policy makers decide it{among}{admins}"
    names = [f"{sponsor} (executive sponsor)"] if sponsor is not None else []
    names += [getattr(found, f"decider_{k}") or "" for k in range(found.other_deciders)]
    if total == 1:
        return f"The program’s policy maker decides it: {names[0]}{admins}"
    return f"The program’s policy makers decide it: {_and(names, 'and')}{admins}"


def debriefs(viewer: Viewer) -> QuerySet[Debrief]:
    return permissions.scope(viewer, "debrief.view", Debrief.objects.all())


# --- the clock of phases ---------------------------------------------------------------------


@dataclass
class Phase:
    key: str
    title: str
    minutes: int
    number: int
    current: bool = False
    done: bool = False


@dataclass
class RoomClock:
    phases: list[Phase]
    current: Phase | None
    ends_at: datetime | None  # when the current phase's time box ends
    seconds_left: int  # 0 when over
    overrun_seconds: int  # how long past its time box the phase runs
    total_minutes: int

    @property
    def minutes_left(self) -> int:
        return -(-self.seconds_left // 60)

    @property
    def time_left(self) -> str:
        s = self.seconds_left
        return f"{s // 60}:{s % 60:02d}"


def room_clock(found: Debrief) -> RoomClock:
    """The plan's phases, the current one and its time left (from when it started and its
    minutes), as of now."""
    phases = [
        Phase(key=p["key"], title=p["title"], minutes=int(p["minutes"]), number=n)
        for n, p in enumerate(found.plan, start=1)
    ]
    # A closed (or cancelled) debrief's meeting is over: no phase runs, no time is up.
    current = None if found.is_finished else next((p for p in phases if p.key == found.phase), None)
    ends_at, left, overrun = None, 0, 0
    if current is not None:
        current.current = True
        for p in phases[: current.number - 1]:
            p.done = True
        if found.phase_started_at is not None:
            ends_at = found.phase_started_at + timedelta(minutes=current.minutes)
            delta = int((ends_at - clock.now()).total_seconds())
            left, overrun = max(0, delta), max(0, -delta)
    return RoomClock(
        phases=phases,
        current=current,
        ends_at=ends_at,
        seconds_left=left,
        overrun_seconds=overrun,
        total_minutes=sum(p.minutes for p in phases),
    )


# --- recommendations -------------------------------------------------------------------------


@dataclass
class Progress:
    """Derived from the recommendation's action items, never typed."""

    open: int = 0
    in_progress: int = 0
    blocked: int = 0
    done: int = 0
    dropped: int = 0

    @property
    def total(self) -> int:  # the work that counts: dropped items are not part of it
        return self.open + self.in_progress + self.blocked + self.done

    @property
    def share_done(self) -> int:
        """Percent of the (not dropped) action items done; 0 with none."""
        return round(100 * self.done / self.total) if self.total else 0


_STATUS_COUNTS = {
    f"n_{status}": Count("actions", filter=Q(actions__status=status), distinct=True)
    for status in ActionStatus.values
}


def with_progress(rows: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """Recommendations annotated with their action items by status and whether they have
    owned, dated action items (what "Planned" needs)."""
    owned = ActionItem.objects.filter(
        recommendation=OuterRef("pk"), owner__isnull=False, due_on__isnull=False
    ).exclude(status=ActionStatus.DROPPED)
    return rows.annotate(**_STATUS_COUNTS, owned_dated=Exists(owned))


def progress(rec: Recommendation) -> Progress:
    """A recommendation's progress, from ``with_progress``'s annotations (or counted)."""
    if not hasattr(rec, "n_done"):
        counts = dict(rec.actions.values_list("status").annotate(n=Count("pk")))
        return Progress(**{s: counts.get(s, 0) for s in ActionStatus.values})
    return Progress(**{s: getattr(rec, f"n_{s}") for s in ActionStatus.values})


def recommendations(
    viewer: Viewer,
    *,
    debrief_id: int | None = None,
    program_id: int | None = None,
    outcome: str | None = None,
    archived: bool = False,
) -> QuerySet[Recommendation]:
    """The recommendations of debriefs the viewer may see, newest debrief first."""
    rows = permissions.scope(viewer, "debrief.view", Recommendation.objects.all())
    if debrief_id is not None:
        rows = rows.filter(debrief_id=debrief_id)
    if program_id is not None:
        rows = rows.filter(program_id=program_id)
    if outcome:
        rows = rows.filter(outcome=outcome)
    if not archived:
        rows = rows.filter(archived_at=None)
    return rows.order_by("-debrief_id", "id")


def recommendation(viewer: Viewer, pk: int, *, action: str = "debrief.view") -> Recommendation:
    found = Recommendation.objects.select_related("debrief", "debrief__session", "program")
    return permissions.get(viewer, action, found, pk=pk)


def decisions(rec: Recommendation) -> QuerySet[Decision]:
    return Decision.objects.filter(recommendation=rec).order_by("at", "id")


def visible_evidence_links(viewer: Viewer) -> QuerySet[Evidence]:
    """Evidence links to insights the viewer may see (the same policy as ``evidence``), in
    insight order: what a recommendation's ``evidence`` ids may show them."""
    seen = insight_rules.visible_insights(viewer, Insight.objects.all()).values("pk")
    return Evidence.objects.filter(insight_id__in=seen).order_by("insight_id")


def evidence(viewer: Viewer, rec: Recommendation) -> QuerySet[Insight]:
    """The recommendation's evidence the viewer may see."""
    ids = rec.evidence_links.values("insight_id")
    return insight_rules.visible_insights(viewer, Insight.objects.filter(pk__in=ids)).order_by("pk")


def heard(viewer: Viewer, rec: Recommendation) -> list[tuple[Insight, str]]:
    """The evidence cards of ``rec`` the viewer may see that are customer priorities, each
    with the status published for it ("" when none yet): what customers hear now."""
    cards = list(evidence(viewer, rec))
    statuses = hearing.published(rec.program_id, [c.pk for c in cards])
    return [(c, statuses[c.pk]) for c in cards if c.pk in statuses]


@dataclass
class RecommendationRow:
    rec: Recommendation
    evidence: list[Insight]
    hidden_evidence: int
    metrics: list[RecommendationMetric]
    decisions: list[Decision]
    progress: Progress
    # The status its current decision's facts would allow publishing (not what customers hear).
    hears: tuple[str, str]
    # What they could be told if approved / deferred / rejected now: beside the decide buttons
    # of an undecided one (a decided one's revisit page says it; left empty here).
    hears_if: dict[str, str]
    # What customers hear now: each evidence card the viewer sees that is a customer priority,
    # with its published status ("" when none is published yet). Empty: customers are told
    # nothing of it (its evidence holds no customer priority).
    heard: list[tuple[Insight, str]] = field(default_factory=list)


# What the room's decision history shows of each decision.
_DECISION_SHOWN = (
    "recommendation_id",
    "outcome",
    "reason",
    "revisit_on",
    "decided_by_label",
    "decided_as",
    "at",
)


def room_recommendations(viewer: Viewer, found: Debrief) -> list[RecommendationRow]:
    """The debrief's recommendations (not archived) with what the room shows of each: the
    evidence the viewer may see, the metrics it should move, its decisions in order, its
    progress and what customers would hear. A fixed number of queries."""
    # Prefetched into lists (``to_attr``): a prefetch kept on the related manager filters a
    # queryset per recommendation just to hold its cache.
    rows = list(
        with_progress(recommendations(viewer, debrief_id=found.pk)).prefetch_related(
            Prefetch(
                "evidence_links",
                queryset=Evidence.objects.order_by("id").only("recommendation_id", "insight_id"),
                to_attr="evidence_list",
            ),
            Prefetch(
                "metric_links",
                queryset=RecommendationMetric.objects.select_related("metric").only(
                    "recommendation_id", "direction", "metric__name"
                ),
                to_attr="metric_list",
            ),
            Prefetch(
                "decisions",
                queryset=Decision.objects.order_by("at", "id").only(*_DECISION_SHOWN),
                to_attr="decision_list",
            ),
        )
    )
    ids = {e.insight_id for r in rows for e in r.evidence_list}
    seen = (
        {
            i.pk: i
            for i in insight_rules.visible_insights(
                viewer, Insight.objects.filter(pk__in=ids)
            ).only("text")
        }
        if ids
        else {}
    )
    statuses = hearing.published(found.program_id, list(seen))
    out = []
    for r in rows:
        links = [e.insight_id for e in r.evidence_list]
        owned = bool(getattr(r, "owned_dated", False))

        def hears(outcome: str, r: Recommendation = r, owned: bool = owned) -> str:
            return customer_hears(
                outcome,
                owned_dated_actions=owned,
                summary=r.customer_summary,
                reason=r.decision_reason,
            )[0]

        out.append(
            RecommendationRow(
                rec=r,
                evidence=[seen[i] for i in links if i in seen],
                hidden_evidence=sum(1 for i in links if i not in seen),
                metrics=r.metric_list,
                decisions=r.decision_list,
                progress=progress(r),
                hears=customer_hears(
                    r.outcome,
                    owned_dated_actions=owned,
                    summary=r.customer_summary,
                    reason=r.decision_reason,
                ),
                hears_if={o: hears(o) for o in ("approved", "deferred", "rejected")}
                if r.outcome == DecisionOutcome.PENDING
                else {},
                heard=[(seen[i], statuses[i]) for i in links if i in seen and i in statuses],
            )
        )
    return out


def owning_teams(found: Debrief) -> list[str]:
    """The teams and partners of the session's map ("how we support it"), by name."""
    names = (
        StepSupport.objects.filter(step__scenario__session_id=found.session_id)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return list(names)


# --- the decision brief and the coverage meter ------------------------------------------------


@dataclass
class Priority:
    card: RankedCard
    quotes: list[Insight] = field(default_factory=list)  # quotes near it the viewer may see
    earlier: list[Recommendation] = field(default_factory=list)  # decided before, touching it
    covered: str = ""  # how it leaves the room: "approved", "deferred to …", "undecided …"
    # The same for programs: approved, rejected, deferred or undecided ("" when not covered),
    # and the date to revisit it (a deferral's or an undecided priority's).
    covered_as: str = ""
    revisit_on: date | None = None

    @property
    def revisit_overdue(self) -> bool:
        """Deferred, or left undecided, to a day that has passed: it is due a decision."""
        return self.revisit_on is not None and self.revisit_on < clock.today()

    @property
    def touches(self) -> set[int]:
        """The card and the sources merged into it: what evidence may cite for it."""
        return {self.card.insight_id, *(c.insight_id for c in self.card.contributors)}


@dataclass
class Coverage:
    top: int  # N: the top priorities counted
    covered: int
    uncovered: list[Priority]

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.top) if self.top else 0


@dataclass
class Brief:
    voting: str  # "closed" (frozen ranking), "open" (live ranking), "none" (no round)
    priorities: list[Priority]  # the top priorities (cards with votes), best first
    segments: list[tuple[str, str]]  # the vote spread's columns
    coverage: Coverage


def _voting_state(results: voting.Results) -> str:
    if results.frozen:
        return "closed"
    return "open" if results.round is not None else "none"


def top_ranking(viewer: Viewer, found: Debrief) -> voting.Results:
    """The first ``TOP_PRIORITIES`` of the session's ranking as the viewer may see it (the
    overall list: the room reads no kind's), read once per debrief object and viewer: the
    room's panels (the brief, the closing) share it."""
    cache: dict[tuple[int, int, str], voting.Results] = found.__dict__.setdefault("_rankings", {})
    key = (viewer.workspace_id, viewer.user_id, viewer.role)
    if key not in cache:
        cache[key] = voting.results(
            found.session, viewer, limit=TOP_PRIORITIES, kinds=False, totals=False
        )
    return cache[key]


def priority_ranks(viewer: Viewer, found: Debrief) -> dict[int, tuple[int, int]]:
    """The top priorities the viewer may see (cards with dots): (rank, dots) by card id, for
    the recommendation form's evidence list."""
    return {c.insight_id: (c.rank, c.dots) for c in top_ranking(viewer, found).overall if c.dots}


def brief(viewer: Viewer, found: Debrief) -> Brief:
    """The overnight decision brief of ``found`` as the viewer may see it: the top priorities
    by votes (the ranking frozen when voting closed; the live one, said so, while it is
    open), each with its quotes, its vote spread by segment and the program's earlier
    decisions that touch it; and the coverage meter. Computed from the data when asked."""
    results = top_ranking(viewer, found)
    cards = [c for c in results.overall if c.dots > 0]
    priorities = [Priority(card=c) for c in cards]
    if priorities:
        _quotes(viewer, found, priorities)
        _earlier(viewer, found, priorities)
    coverage = _coverage(found, priorities)
    return Brief(
        voting=_voting_state(results),
        priorities=priorities,
        segments=results.segments,
        coverage=coverage,
    )


def _quotes(viewer: Viewer, found: Debrief, priorities: list[Priority]) -> None:
    """Quotes near each card: the session's quotes on the card's step, those the viewer may
    see, in capture order (one query)."""
    steps = {p.card.step_id for p in priorities if p.card.step_id}
    if not steps:
        return
    quotes = insight_rules.visible_insights(
        viewer,
        Insight.objects.filter(
            session_id=found.session_id,
            kind=InsightKind.QUOTE,
            status=InsightStatus.ACCEPTED,
            step_id__in=steps,
        ),
    ).order_by("created_at", "pk")
    by_step: dict[int, list[Insight]] = {}
    for q in quotes:
        if q.step_id is not None:
            by_step.setdefault(q.step_id, []).append(q)
    for p in priorities:
        if p.card.step_id:
            p.quotes = by_step.get(p.card.step_id, [])[:QUOTES_PER_CARD]


def _earlier(viewer: Viewer, found: Debrief, priorities: list[Priority]) -> None:
    """The program's decided recommendations of other debriefs whose evidence cites a card
    (or a source merged into it), latest decision first (one query)."""
    touched = {i for p in priorities for i in p.touches}
    decided = (
        recommendations(viewer, program_id=found.program_id)
        .exclude(debrief_id=found.pk)
        .exclude(outcome=DecisionOutcome.PENDING)
    )
    # Led by the evidence citing the cards (a few rows by the insight index), each asking
    # whether its recommendation is one of those (by primary key), with the recommendation
    # read in the same row: not the program's recommendations each probed for such evidence.
    links = (
        Evidence.objects.filter(insight_id__in=touched)
        .filter(Exists(decided.filter(pk=OuterRef("recommendation_id"))))
        .select_related("recommendation")
        .only(
            "insight_id",
            "recommendation__title",
            "recommendation__outcome",
            "recommendation__decided_at",
        )
        .order_by("-recommendation__decided_at", "-recommendation_id")
    )
    cited: dict[int, tuple[Recommendation, set[int]]] = {}
    for link in links:
        cited.setdefault(link.recommendation_id, (link.recommendation, set()))[1].add(
            link.insight_id
        )
    for rec, insights in cited.values():  # in the links' order: latest decision first
        for p in priorities:
            if p.touches & insights:
                p.earlier.append(rec)


def _coverage(found: Debrief, priorities: list[Priority]) -> Coverage:
    """How many of the top priorities leave the room with a decision (approved, rejected, or
    deferred with a date to revisit) of this debrief, or stated undecided with a date."""
    if not priorities:
        return Coverage(top=0, covered=0, uncovered=[])
    touched = {i for p in priorities for i in p.touches}
    decided: dict[int, tuple[str, Any]] = {}
    for insight_id, outcome, revisit in (
        Evidence.objects.filter(
            recommendation__debrief=found,
            recommendation__archived_at=None,
            insight_id__in=touched,
        )
        .filter(
            Q(recommendation__outcome__in=[DecisionOutcome.APPROVED, DecisionOutcome.REJECTED])
            | Q(
                recommendation__outcome=DecisionOutcome.DEFERRED,
                recommendation__revisit_on__isnull=False,
            )
        )
        .order_by("recommendation__decided_at")
        .values_list("insight_id", "recommendation__outcome", "recommendation__revisit_on")
    ):
        decided[insight_id] = (outcome, revisit)
    undecided = dict(
        Undecided.objects.filter(debrief=found, insight_id__in=touched).values_list(
            "insight_id", "revisit_on"
        )
    )
    covered = 0
    uncovered = []
    for p in priorities:
        hit = next((decided[i] for i in p.touches if i in decided), None)
        later = next((undecided[i] for i in p.touches if i in undecided), None)
        if hit is not None:
            outcome, revisit = hit
            p.covered = (
                f"deferred to {dates.short(revisit)}"
                if outcome == DecisionOutcome.DEFERRED
                else str(DecisionOutcome(outcome).label).lower()
            )
            p.covered_as = outcome
            p.revisit_on = revisit if outcome == DecisionOutcome.DEFERRED else None
        elif later is not None:
            p.covered = f"undecided, revisit {dates.short(later)}"
            p.covered_as, p.revisit_on = "undecided", later
        if p.covered:
            covered += 1
        else:
            uncovered.append(p)
    return Coverage(top=len(priorities), covered=covered, uncovered=uncovered)


def room_section(viewer: Viewer, found: Debrief) -> dict[str, Any]:
    """The room's decision brief and coverage panel (order 20); each priority links to a
    recommendation drafted from it, for whoever may draft while the debrief is not done."""
    draftable = not found.is_finished and permissions.can(viewer, "recommendation.draft", found)
    return {
        "debrief": found,
        "brief": brief(viewer, found),
        "draft_url": reverse("debrief:recommendation_new", args=[found.workspace.slug, found.pk])
        if draftable
        else "",
    }


def recommendations_section(viewer: Viewer, found: Debrief) -> dict[str, Any]:
    """The room's recommendations panel (order 30)."""
    may_draft = permissions.can(viewer, "recommendation.draft", found)
    return {
        "debrief": found,
        "rows": room_recommendations(viewer, found),
        # Where a status is proposed for a customer priority not told yet.
        "propose_url": hearing.propose_url(viewer, found.workspace.slug, found.program),
        "may_draft": may_draft,
        # Its recommendations can be edited (and drafts archived) while it is not finished.
        "may_edit": may_draft and not found.is_finished,
        # Said beside a recommendation not decided yet, to whoever may not decide it.
        "who_decides": who_decides(found),
        "today": clock.today(),
        "decide_choices": [("approved", "Approve"), ("deferred", "Defer"), ("rejected", "Reject")],
    }
