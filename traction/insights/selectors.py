"""Scoped reads: scenarios, the journey grid, a session's speakers, insights, the review queue.

Search lives in ``search/``; voting and its results in the voting app (``traction.voting``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import BaseExpression
from django.db.models.functions import RowNumber

from traction.core import permissions
from traction.core.errors import NotFound
from traction.core.permissions import Viewer
from traction.customers.models import Contact
from traction.sessions.models import Invitation, RsvpStatus, Session

from . import extensions, rules
from .models import (
    GRID_KINDS,
    ImportBatch,
    Insight,
    InsightKind,
    InsightStatus,
    Scenario,
    Step,
    StepSupport,
)


def session_for(viewer: Viewer, session_id: int, action: str = "insight.view") -> Session:
    """The session, if the viewer may see it; then ``action`` checked on it (seeing the
    session is enough to read its map: each insight list is scoped again)."""
    from traction.sessions import selectors as session_selectors

    return session_selectors.session(
        viewer, session_id, "session.view" if action == "insight.view" else action
    )


def customer_participants(session: Session) -> QuerySet[Contact]:
    """The customer contacts taking part: invited to the session and not declined."""
    invited = Invitation.objects.filter(session=session).exclude(rsvp=RsvpStatus.DECLINED)
    return (
        Contact.objects.filter(
            workspace_id=session.workspace_id, pk__in=invited.values("contact_id")
        )
        .select_related("customer")
        .order_by("name", "id")
    )


def invited_contact(viewer: Viewer, session: Session, contact_id: int) -> Contact:
    """A customer contact invited to ``session`` (declined or not), fetched through the
    policy (``contact.view``): NotFound for anyone else, whoever they are."""
    invited = Invitation.objects.filter(session=session).values("contact_id")
    return permissions.get(
        viewer,
        "contact.view",
        Contact.objects.filter(pk__in=invited).select_related("customer"),
        pk=contact_id,
    )


@dataclass(frozen=True)
class Speaker:
    key: str  # "c:<contact id>" or "u:<user id>"
    name: str
    internal: bool
    contact_id: int | None = None
    user_id: int | None = None
    customer_id: int | None = None
    organisation: str = ""

    @property
    def label(self) -> str:
        if self.internal:
            return f"{self.name} (internal)"
        return f"{self.name}, {self.organisation}" if self.organisation else self.name


def speakers(session: Session) -> list[Speaker]:
    """Who may be credited with an insight: customers first, then internal participants."""
    people = [
        Speaker(
            key=f"c:{c.pk}",
            name=c.name,
            internal=False,
            contact_id=c.pk,
            customer_id=c.customer_id,
            organisation=c.customer.name,
        )
        for c in customer_participants(session)
    ]
    people += [
        Speaker(
            key=f"u:{p.user_id}",
            name=p.user.full_name or p.user.email,
            internal=True,
            user_id=p.user_id,
        )
        for p in session.participants.select_related("user").order_by("user__full_name", "id")
    ]
    return people


def speakers_keeping(insight: Insight) -> list[Speaker]:
    """``speakers`` of the insight's session, plus the insight's own speaker when not among
    them (an import may credit the session's facilitator or the importer; a participant may
    have left): editing the card offers, and keeps, who said it."""
    people = speakers(insight.session)
    key = insight.speaker_key
    if key and key not in {p.key for p in people}:
        people.append(
            Speaker(
                key=key,
                name=insight.speaker_name,
                internal=insight.internal,
                contact_id=insight.speaker_contact_id,
                user_id=insight.speaker_user_id,
                customer_id=insight.customer_id,
                organisation=insight.customer.name if insight.customer else "",
            )
        )
    return people


def visible_speakers(viewer: Viewer, session: Session) -> list[Speaker]:
    """``speakers`` as the viewer may see them: an account owner sees their own customers'
    contacts (and the internal participants), not other organisations' people."""
    customers = rules.visible_customer_ids(viewer)
    return [
        p
        for p in speakers(session)
        if customers is None or p.internal or p.customer_id in customers
    ]


def session_summary(viewer: Viewer, session: Session) -> dict[str, Any]:
    """What the session page shows of its map: counts of what the viewer may see, and what
    the viewer may do."""
    counts = dict(
        rules.visible_insights(viewer, Insight.objects.filter(session=session))
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        "session": session,
        "scenarios": session.scenarios.count(),
        "insights": counts.get(InsightStatus.ACCEPTED, 0),
        "candidates": counts.get(InsightStatus.CANDIDATE, 0),
        "can_capture": permissions.can(viewer, "insight.capture", session),
        "can_import": permissions.can(viewer, "insight.import", session),
    }


def scenarios(session: Session) -> list[Scenario]:
    """A session's scenarios with their steps (each with its "How we support it" lane) and
    team: four queries however many there are."""
    return list(
        session.scenarios.prefetch_related(
            Prefetch(
                "steps",
                queryset=Step.objects.order_by("position", "id").prefetch_related("support"),
            ),
            Prefetch("team", queryset=Contact.objects.select_related("customer").order_by("name")),
        )
    )


def _visible_sessions(viewer: Viewer) -> QuerySet[Session]:
    return permissions.scope(viewer, "session.view", Session.objects.all())


def scenario(viewer: Viewer, scenario_id: int, action: str = "insight.view") -> Scenario:
    """A scenario of a session the viewer may see (NotFound otherwise); then ``action``."""
    found = (
        Scenario.objects.select_related("session", "session__program")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=Step.objects.order_by("position", "id").prefetch_related("support"),
            )
        )
        .filter(session__in=_visible_sessions(viewer), pk=scenario_id)
        .first()
    )
    if found is None:
        raise NotFound("Scenario not found.")
    if action != "insight.view":
        permissions.check(viewer, action, found.session)
    return found


def step_support(viewer: Viewer, support_id: int, action: str = "insight.view") -> StepSupport:
    """An entry of a step's "How we support it" lane, in a session the viewer may see."""
    found = (
        StepSupport.objects.select_related("step", "step__scenario", "step__scenario__session")
        .filter(step__scenario__session__in=_visible_sessions(viewer), pk=support_id)
        .first()
    )
    if found is None:
        raise NotFound("Support entry not found.")
    if action != "insight.view":
        permissions.check(viewer, action, found.step.scenario.session)
    return found


def moments_of_truth(viewer: Viewer, metric: Insight) -> QuerySet[Insight]:
    """The moment-of-truth cards a customer metric card may measure: its scenario's, on the
    map, those the viewer may see; by step, then capture order."""
    if metric.scenario_id is None:
        return Insight.objects.none()
    return (
        rules.visible_insights(viewer, Insight.objects.all())
        .filter(
            session_id=metric.session_id,
            scenario_id=metric.scenario_id,
            kind=InsightKind.MOMENT_OF_TRUTH,
            status=InsightStatus.ACCEPTED,
        )
        .select_related("step")
        .order_by("step__position", "created_at", "id")
    )


def step(viewer: Viewer, step_id: int, action: str = "insight.view") -> Step:
    found = (
        Step.objects.select_related("scenario", "scenario__session")
        .filter(scenario__session__in=_visible_sessions(viewer), pk=step_id)
        .first()
    )
    if found is None:
        raise NotFound("Step not found.")
    if action != "insight.view":
        permissions.check(viewer, action, found.scenario.session)
    return found


def _with_contributors(
    viewer: Viewer, qs: QuerySet[Insight], session: Session | None = None
) -> QuerySet[Insight]:
    """Each card with ``visible_merged``: the insights merged into it the viewer may see
    (a merged card's other contributors, each with their own speaker and organisation).

    A merged insight has the status ``merged`` and its card's session (insights merge within
    a session): said in the query, the cards of one ``session`` find theirs through the
    session's index rather than walking the workspace's."""
    sources: QuerySet[Insight] = Insight.objects.filter(status=InsightStatus.MERGED)
    if session is not None:
        sources = sources.filter(session=session)
    merged = rules.visible_insights(
        viewer, sources.select_related("customer").order_by("created_at", "id")
    )
    # A customer metric card's moments of truth (``visible_measures``) and a moment of
    # truth's metrics (``visible_measured_by``), those the viewer may see: one more query
    # each per list, whatever its length.
    linked = rules.visible_insights(
        viewer, Insight.objects.filter(status=InsightStatus.ACCEPTED).order_by("created_at", "id")
    ).only("id", "text", "kind", "step_id", "scenario_id", "session_id")
    return qs.prefetch_related(
        Prefetch("merged", queryset=merged, to_attr="visible_merged"),
        Prefetch("measures", queryset=linked, to_attr="visible_measures"),
        Prefetch("measured_by", queryset=linked, to_attr="visible_measured_by"),
    )


def insights(
    viewer: Viewer,
    *,
    session_id: int | None = None,
    status: str | None = InsightStatus.ACCEPTED,
    kind: str = "",
    step: int | None = None,
    internal: bool | None = None,
) -> QuerySet[Insight]:
    qs = rules.visible_insights(viewer, Insight.objects.all())
    if session_id is not None:
        qs = qs.filter(session_id=session_id)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if step is not None:
        qs = qs.filter(step_id=step)
    if internal is not None:
        qs = qs.filter(internal=internal)
    qs = qs.select_related("step", "scenario", "customer", "captured_by").order_by(
        "created_at", "id"
    )
    return _with_contributors(viewer, qs)


def insight(viewer: Viewer, insight_id: int, action: str = "insight.view") -> Insight:
    # ``permissions.get`` over what ``rules.visible_insights`` reads (its scope, and no row
    # of an import still being written).
    found = permissions.get(
        viewer,
        "insight.view",
        _with_contributors(
            viewer,
            Insight.objects.written().select_related("session", "step", "scenario", "customer"),
        ),
        pk=insight_id,
    )
    if action != "insight.view":
        permissions.check(viewer, action, found.session)
    return found


def dot_totals(viewer: Viewer) -> BaseExpression:
    """Each insight's dots, counted over the votes the viewer may see (an account owner: their
    own customers'), as an expression to annotate cards with (the voting app provides it
    through ``extensions``; 0 without it)."""
    return extensions.card_dots(viewer)


def session_insights(
    viewer: Viewer, session: Session, *, status: str = InsightStatus.ACCEPTED
) -> QuerySet[Insight]:
    """A session's insights the viewer may see, in capture order, with their dots."""
    return _with_contributors(
        viewer,
        rules.visible_insights(viewer, Insight.objects.all())
        .filter(session=session, status=status)
        .select_related("step", "customer")
        .annotate(dot_count=dot_totals(viewer))
        .order_by("created_at", "id"),
        session,
    )


def review_queue(session: Session) -> QuerySet[Insight]:
    return (
        Insight.objects.filter(session=session, status=InsightStatus.CANDIDATE)
        .select_related("batch", "step")
        .order_by("batch_id", "source_line", "id")
    )


def imports(session: Session) -> QuerySet[ImportBatch]:
    return session.imports.select_related("created_by").order_by("-created_at", "-id")


# --- the journey grid -------------------------------------------------------------------------


ROW_LABELS = {
    InsightKind.MOMENT_OF_TRUTH: "Moments of truth",
    InsightKind.ISSUE: "Issues",
    InsightKind.IDEA: "Ideas",
    InsightKind.CUSTOMER_METRIC: "Customer metrics",
}


class Cards(list[Insight]):
    """Some cards of a longer list: the ``total`` in the list, of which ``more`` are not
    shown (a board cell shows its top cards, the rest is a link to the whole list)."""

    def __init__(self, cards: Iterable[Insight] = (), *, step_id: int | None = None) -> None:
        super().__init__(cards)
        self.step_id = step_id
        self.total = len(self)

    @property
    def more(self) -> int:
        return max(0, self.total - len(self))


@dataclass
class GridRow:
    kind: str
    label: str
    cells: list[Cards]  # one list of cards per step, in step order


@dataclass
class Grid:
    scenario: Scenario
    steps: list[Step]
    rows: list[GridRow]
    outcome: Cards = field(default_factory=Cards)  # captured as outcome or context
    context: Cards = field(default_factory=Cards)
    unplaced: Cards = field(default_factory=Cards)  # grid kinds without a step
    max_dots: int = 0

    def heat(self, card: Insight) -> int:
        """0 to 4: how hot a card is against the most-voted card of the map."""
        dots = getattr(card, "dot_count", 0) or 0
        if not dots or not self.max_dots:
            return 0
        return max(1, round(4 * dots / self.max_dots))


def grid(scenario: Scenario, cards: Sequence[Insight]) -> Grid:
    """The scenario as a journey grid: steps as columns; moments of truth, issues, ideas and
    customer metrics as rows; each of ``cards`` (the viewer's, annotated with the dots they
    may count: ``session_insights``) in its cell with its dots (``dot_count``). Internal
    remarks are left out: the map is the customers'."""
    steps = list(scenario.steps.all())
    column = {s.pk: n for n, s in enumerate(steps)}
    by_kind: dict[str, list[Cards]] = defaultdict(lambda: [Cards(step_id=s.pk) for s in steps])
    result = Grid(scenario=scenario, steps=steps, rows=[])
    for card in cards:
        if card.internal:  # listed apart: never part of the customers' map
            continue
        dots = getattr(card, "dot_count", 0) or 0
        result.max_dots = max(result.max_dots, dots)
        if card.kind == InsightKind.OUTCOME:
            result.outcome.append(card)
        elif card.kind == InsightKind.CONTEXT:
            result.context.append(card)
        elif card.kind in GRID_KINDS:
            if card.step_id in column:
                by_kind[card.kind][column[card.step_id]].append(card)
            else:
                result.unplaced.append(card)
    result.rows = [GridRow(kind=k, label=ROW_LABELS[k], cells=by_kind[k]) for k in GRID_KINDS]
    for cards_ in [result.outcome, result.context, result.unplaced]:
        cards_.total = len(cards_)
    for row in result.rows:
        for cell in row.cells:
            cell.total = len(cell)
    return result


# --- the board: each cell's top cards and its count, in a constant number of queries ---------

# How many cards a cell (or a list beside the grid) of the board shows; the rest are a link
# to the cell's own page, which lists them all, a page at a time.
BOARD_TOP = 5
CELL_PAGE = 50

# The lists of a board, beside its grid cells (``cell``: a step and a grid kind).
LISTS = ("outcome", "context", "unplaced", "others", "internal")


def _on_grid(scenario_id: int | None) -> Q:
    """A card in a cell of the grid of ``scenario_id``: a customer's grid kind on a step."""
    if scenario_id is None:
        return Q(pk__in=[])
    return Q(scenario_id=scenario_id, internal=False, kind__in=GRID_KINDS, step__isnull=False)


def _section(scenario_id: int | None) -> Case:
    """Where a card of the session sits on the board of ``scenario_id``: a grid ``cell``,
    one of ``LISTS``, or ``elsewhere`` (another scenario's card: not on this board)."""
    if scenario_id is None:
        return Case(
            When(internal=True, then=Value("internal")),
            default=Value("others"),
            output_field=CharField(),
        )
    here = Q(scenario_id=scenario_id, internal=False)
    return Case(
        When(internal=True, then=Value("internal")),
        When(_on_grid(scenario_id), then=Value("cell")),
        When(here & Q(kind=InsightKind.OUTCOME), then=Value("outcome")),
        When(here & Q(kind=InsightKind.CONTEXT), then=Value("context")),
        When(here & Q(kind__in=GRID_KINDS), then=Value("unplaced")),
        When(here | Q(scenario__isnull=True), then=Value("others")),
        default=Value("elsewhere"),
        output_field=CharField(),
    )


@dataclass
class Board:
    """What the board shows of a session: the chosen scenario's grid (each cell its top
    cards, with its total), the other customer input and the internal remarks, likewise."""

    grid: Grid | None
    others: Cards
    internal: Cards
    total: int  # every accepted card of the session the viewer may see


def board(
    viewer: Viewer, session: Session, scenario: Scenario | None, *, top: int = BOARD_TOP
) -> Board:
    """The board of ``scenario`` (None: a session without scenarios): in each cell and list
    the ``top`` cards (at least one) by dots, then the newest, shown in capture order, and
    how many the cell holds in all.

    Three queries however many cards the session holds: the ranking (window functions over
    the ids, places and dots of the session's visible cards: narrow rows, so the sort stays
    small), the shown cards in full, and their merged contributors."""
    sid = scenario.pk if scenario else None
    on_grid = _on_grid(sid)
    partition = [F("section"), F("cell_step"), F("cell_kind")]
    ranked = (
        rules.visible_insights(viewer, Insight.objects.all())
        .filter(session=session, status=InsightStatus.ACCEPTED)
        .annotate(dot_count=dot_totals(viewer), section=_section(sid))
        .annotate(
            cell_step=Case(
                When(on_grid, then=F("step_id")), default=None, output_field=IntegerField()
            ),
            cell_kind=Case(
                When(on_grid, then=F("kind")), default=Value(""), output_field=CharField()
            ),
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=partition,
                order_by=[
                    F("dot_count").desc(nulls_last=True),
                    F("created_at").desc(),
                    F("id").desc(),
                ],
            ),
            in_section=Window(Count("id"), partition_by=partition),
        )
        .filter(rank__lte=max(1, top))
        .order_by()
        .values_list("pk", "section", "cell_step", "cell_kind", "in_section", "rank")
    )
    place: dict[int, str] = {}
    totals: dict[tuple[str, int | None, str], int] = {}
    for pk, section, cell_step, cell_kind, in_section, rank in ranked:
        totals[(section, cell_step, cell_kind)] = in_section
        if rank <= top:
            place[pk] = section
    cards = list(session_insights(viewer, session).filter(pk__in=list(place)))
    result = Board(
        grid=None,
        others=Cards(c for c in cards if place[c.pk] == "others"),
        internal=Cards(c for c in cards if place[c.pk] == "internal"),
        total=sum(totals.values()),
    )
    result.others.total = totals.get(("others", None, ""), 0)
    result.internal.total = totals.get(("internal", None, ""), 0)
    if scenario is not None:
        # The heat's scale (``max_dots``) is exact from the shown cards alone: the most-voted
        # card of each cell and list ranks first there, so it is always shown.
        on_map = [c for c in cards if place[c.pk] in ("cell", *LISTS[:3])]
        g = result.grid = grid(scenario, on_map)
        for name in LISTS[:3]:
            getattr(g, name).total = totals.get((name, None, ""), 0)
        for row in g.rows:
            for cell in row.cells:
                cell.total = totals.get(("cell", cell.step_id, row.kind), 0)
    return result


def board_cell(
    viewer: Viewer,
    session: Session,
    scenario: Scenario | None,
    *,
    step: Step | None = None,
    kind: str = "",
    list_name: str = "",
) -> QuerySet[Insight]:
    """Every card of one cell of the board (``step`` and a grid ``kind``) or of one of its
    ``LISTS``, in capture order: what the cell's "N more" opens."""
    qs = session_insights(viewer, session).annotate(
        section=_section(scenario.pk if scenario else None)
    )
    if step is not None:
        return qs.filter(section="cell", step=step, kind=kind)
    return qs.filter(section=list_name)
