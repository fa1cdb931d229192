"""Reads of the actions area: action items as each viewer may see them, "my actions", the
debrief's approved recommendations with their actions, the review of earlier actions, and
time to action (session end → decided → first action started → done).

Fetching is checking: every read goes through ``permissions.scope``. An action is visible to
whoever may see its program's debriefs (``debrief.view``) and to its owner and contributors
(``action.update``), who may sit outside the program.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from traction.accounts.models import User
from traction.core import clock, permissions
from traction.core.permissions import Role, Viewer

from .models import (
    ActionItem,
    ActionStatus,
    ActionUpdate,
    Debrief,
    Decision,
    DecisionOutcome,
    Recommendation,
)

CLOSED = (ActionStatus.DONE, ActionStatus.DROPPED)
OPEN = tuple(s for s in ActionStatus if s not in CLOSED)  # open, in progress, blocked
# The columns a list of actions shows (with the owner's name): title, due date, status.
LISTED = ("title", "owner_id", "due_on", "status", "ownerless_since")
THIS_WEEK = timedelta(days=7)


def debrief(viewer: Viewer, pk: int) -> Debrief:
    return permissions.get(
        viewer,
        "debrief.view",
        Debrief.objects.select_related("session", "program"),
        pk=pk,
    )


def visible_actions(viewer: Viewer) -> QuerySet[ActionItem]:
    """Every action item the viewer may see."""
    # Those of the programs they see, and, for an owner or contributor outside the program,
    # their own: one scope of the two rules (the workspace filter once, so the indexes that
    # lead with it serve, e.g. the navigation's count of the viewer's overdue actions).
    seen = permissions.scope_any(
        viewer, ["debrief.view", "action.update"], ActionItem.objects.all()
    )
    return seen.select_related("owner", "program", "recommendation__debrief__session")


def action(viewer: Viewer, pk: int) -> ActionItem:
    try:
        return visible_actions(viewer).get(pk=pk)
    except (ActionItem.DoesNotExist, ValueError, TypeError, OverflowError):
        from traction.core.errors import NotFound

        raise NotFound("Action item not found.") from None


def allowed_ids(viewer: Viewer, action_name: str, items: list[ActionItem]) -> set[int]:
    """The ids among ``items`` on which the viewer may ``action_name`` (``action.update``,
    ``action.manage``): the answer ``permissions.can`` gives row by row, in one query for
    the whole list (a page's buttons), whatever its length."""
    if not items or not permissions.allows(viewer, action_name):
        return set()
    ids = [a.pk for a in items]
    found = permissions.scope(viewer, action_name, ActionItem.objects.filter(pk__in=ids))
    return set(found.values_list("pk", flat=True))


def live_action_count(viewer: Viewer, recommendation: Recommendation) -> int:
    """How many of the recommendation's action items are still to be done (open, in progress
    or blocked), as the viewer may see them: what deferring or rejecting it would drop."""
    return (
        visible_actions(viewer).filter(recommendation_id=recommendation.pk, status__in=OPEN).count()
    )


def owned_open_count(viewer: Viewer, user_id: int) -> int:
    """How many open actions (open, in progress, blocked) ``user_id`` owns and is still
    accountable for, as the viewer may see them: what removing that member leaves without an
    owner (``services.actions.owner_left``)."""
    return (
        visible_actions(viewer)
        .filter(owner_id=user_id, status__in=OPEN, ownerless_since=None)
        .count()
    )


def timeline(item: ActionItem) -> QuerySet[ActionUpdate]:
    """The action's timeline, oldest first (the item was fetched through the policy)."""
    return item.updates.select_related("by").order_by("at", "id")


def updates_since(items: list[ActionItem], since: datetime | None) -> dict[int, ActionUpdate]:
    """Each item's latest timeline entry since ``since`` (when the debrief's session ended):
    what its review recorded ("Kept in the review. …", "Re-dated from … to …"), one query
    for the page (the items were fetched through the policy)."""
    if since is None or not items:
        return {}
    latest: dict[int, ActionUpdate] = {}
    for update in (
        ActionUpdate.objects.filter(action__in=[i.pk for i in items], at__gte=since)
        .select_related("by")
        .order_by("at", "id")
    ):
        latest[update.action_id] = update
    return latest


def contributors(item: ActionItem) -> list[User]:
    return list(item.contributors.order_by("full_name", "email"))


def owner_candidates(viewer: Viewer) -> QuerySet[User]:
    """Who may own or contribute to an action: current members who are not observers."""
    permissions.check(viewer, "debrief.view")
    return (
        User.objects.filter(
            is_active=True,
            memberships__workspace_id=viewer.workspace_id,
            memberships__archived_at=None,
        )
        .exclude(memberships__workspace_id=viewer.workspace_id, memberships__role=Role.OBSERVER)
        .order_by("full_name", "email")
        .distinct()
    )


def filtered(
    viewer: Viewer,
    *,
    mine: bool = False,
    program_id: int | None = None,
    status: str = "",
    overdue: bool | None = None,
    debrief_id: int | None = None,
) -> QuerySet[ActionItem]:
    """The API's list: the viewer's actions (owned or contributed to), a program's, a status,
    overdue ones."""
    qs = visible_actions(viewer)
    if mine:
        contributes = ActionItem.contributors.through.objects.filter(
            actionitem_id=OuterRef("pk"), user_id=viewer.user_id
        )
        qs = qs.filter(Q(owner_id=viewer.user_id) | Exists(contributes))
    if program_id is not None:
        qs = qs.filter(program_id=program_id)
    if debrief_id is not None:
        qs = qs.filter(recommendation__debrief_id=debrief_id)
    if status:
        qs = qs.filter(status=status)
    if overdue is not None:
        late = Q(due_on__lt=clock.today()) & ~Q(status__in=CLOSED)
        qs = qs.filter(late) if overdue else qs.exclude(late)
    return qs.order_by("due_on", "id")


# --- my actions ------------------------------------------------------------------------------


@dataclass
class Groups:
    overdue: list[ActionItem] = field(default_factory=list)
    this_week: list[ActionItem] = field(default_factory=list)
    later: list[ActionItem] = field(default_factory=list)
    blocked: list[ActionItem] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.overdue or self.this_week or self.later or self.blocked)

    def as_list(self) -> list[tuple[str, str, list[ActionItem]]]:
        return [
            ("overdue", "Overdue", self.overdue),
            ("this_week", "Due this week", self.this_week),
            ("later", "Later", self.later),
            ("blocked", "Blocked", self.blocked),
        ]


def _group(items: list[ActionItem], today: date) -> Groups:
    groups = Groups()
    for item in items:
        if item.status == ActionStatus.BLOCKED:
            groups.blocked.append(item)
        elif item.due_on < today:
            groups.overdue.append(item)
        elif item.due_on < today + THIS_WEEK:
            groups.this_week.append(item)
        else:
            groups.later.append(item)
    return groups


@dataclass
class MyActions:
    owned: Groups
    contributing: Groups
    ownerless: list[ActionItem]  # of programs the viewer manages actions in

    def __bool__(self) -> bool:
        return bool(self.owned or self.contributing or self.ownerless)


def my_actions(viewer: Viewer) -> MyActions:
    """The viewer's open actions across programs: owned, then contributed to, each grouped
    overdue / due this week / later / blocked; and the ownerless ones they may reassign."""
    today = clock.today()
    live = visible_actions(viewer).exclude(status__in=CLOSED).order_by("due_on", "id")
    owned = list(live.filter(owner_id=viewer.user_id, ownerless_since=None))
    contributes = ActionItem.contributors.through.objects.filter(
        actionitem_id=OuterRef("pk"), user_id=viewer.user_id
    )
    contributing = list(live.filter(Exists(contributes)).exclude(owner_id=viewer.user_id))
    ownerless: list[ActionItem] = []
    if permissions.allows(viewer, "action.manage"):
        ownerless = list(
            permissions.scope(viewer, "action.manage", ActionItem.objects.all())
            .exclude(status__in=CLOSED)
            .filter(ownerless_since__isnull=False)
            .select_related("owner", "program", "recommendation__debrief__session")
            .order_by("due_on", "id")
        )
    return MyActions(_group(owned, today), _group(contributing, today), ownerless)


def my_overdue(viewer: Viewer) -> QuerySet[ActionItem]:
    """The viewer's own open actions that are overdue (the navigation's badge counts them)."""
    return visible_actions(viewer).filter(
        owner_id=viewer.user_id,
        status__in=OPEN,
        due_on__lt=clock.today(),
        ownerless_since=None,
    )


def my_open(viewer: Viewer) -> QuerySet[ActionItem]:
    """The viewer's own open actions (open, in progress, blocked): the home page's next step."""
    return visible_actions(viewer).filter(
        owner_id=viewer.user_id, status__in=OPEN, ownerless_since=None
    )


def my_overdue_count(viewer: Viewer) -> int:
    """How many of the viewer's own open actions are overdue (the navigation's badge)."""
    return my_overdue(viewer).count()


# --- a debrief's actions ---------------------------------------------------------------------


def approved_recommendations(viewer: Viewer, item: Debrief) -> list[Recommendation]:
    """The debrief's approved recommendations (their titles: what the add form offers)."""
    return list(
        permissions.scope(viewer, "debrief.view", Recommendation.objects.all())
        .filter(debrief_id=item.pk, outcome=DecisionOutcome.APPROVED, archived_at=None)
        .only("title")
        .order_by("id")
    )


# What the list of a debrief's actions may be narrowed to: a status, or "overdue".
OVERDUE = "overdue"


def debrief_actions(
    viewer: Viewer, recommendations: list[Recommendation], *, status: str = ""
) -> QuerySet[ActionItem]:
    """The actions of the debrief's approved ``recommendations`` (as read by
    ``approved_recommendations``), by recommendation then due date, with the columns a list
    shows; narrowed to one status or to the overdue ones when asked."""
    qs = (
        visible_actions(viewer)
        .select_related(None)
        .select_related("owner", "recommendation")
        .only(*LISTED, "status_reason", "owner__full_name", "owner__email", "recommendation__title")
        .filter(recommendation_id__in=[r.pk for r in recommendations])
    )
    if status == OVERDUE:
        qs = qs.filter(status__in=OPEN, due_on__lt=clock.today())
    elif status in ActionStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("recommendation_id", "due_on", "id")


@dataclass(frozen=True)
class ActionCounts:
    """How many of a debrief's actions are in each state (and overdue, among the open)."""

    total: int
    by_status: list[tuple[str, str, int]]  # (status, label, count), in the statuses' order
    overdue: int


def debrief_action_counts(viewer: Viewer, recommendations: list[Recommendation]) -> ActionCounts:
    """Counts of the actions of the debrief's approved ``recommendations``: one aggregate."""
    qs = (
        visible_actions(viewer)
        .select_related(None)
        .filter(recommendation_id__in=[r.pk for r in recommendations])
    )
    counts = qs.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(status__in=OPEN, due_on__lt=clock.today())),
        **{s.value: Count("pk", filter=Q(status=s)) for s in ActionStatus},
    )
    return ActionCounts(
        total=counts["total"],
        by_status=[(s.value, str(s.label), counts[s.value]) for s in ActionStatus],
        overdue=counts["overdue"],
    )


def needing_attention(
    viewer: Viewer, recommendations: list[Recommendation], *, rows: int
) -> list[ActionItem]:
    """The ``rows`` open actions of the debrief's approved ``recommendations`` that need
    attention first: overdue and blocked, then the ones due soonest."""
    return list(
        debrief_actions(viewer, recommendations)
        .filter(status__in=OPEN)
        .annotate(urgency=_urgency())
        .order_by("urgency", "due_on", "id")[:rows]
    )


def _urgency() -> Case:
    """0 for an overdue or blocked action, 1 for the others: the review's first key."""
    urgent = Q(due_on__lt=clock.today()) | Q(status=ActionStatus.BLOCKED)
    return Case(When(urgent, then=Value(0)), default=Value(1), output_field=IntegerField())


def earlier_open_actions(viewer: Viewer, item: Debrief) -> QuerySet[ActionItem]:
    """The program's open, in-progress and blocked actions from earlier debriefs (due before
    this one): what the room reviews first. Overdue and blocked first, then by due date;
    ordered in the database, so a page or a panel reads only the rows it shows."""
    # The program's recommendations of earlier debriefs are a list the database builds once;
    # each open action is then checked against it (not joined to its recommendation and debrief).
    earlier = (
        Recommendation.objects.filter(
            debrief__program_id=item.program_id, debrief__due_at__lt=item.due_at
        )
        .exclude(debrief_id=item.pk)
        .values("pk")
    )
    return (
        visible_actions(viewer)
        .filter(program_id=item.program_id, recommendation__in=earlier, status__in=OPEN)
        .annotate(urgency=_urgency())
        .order_by("urgency", "due_on", "id")
    )


def earlier_open_actions_panel(
    viewer: Viewer, item: Debrief, *, rows: int
) -> tuple[list[ActionItem], int]:
    """The ``rows`` most urgent of ``earlier_open_actions`` with the columns the room's panel
    shows, and how many there are. The open actions are ranked by their keys alone (read
    from the program's index of actions), and only the rows shown are read whole."""
    actions = earlier_open_actions(viewer, item).select_related(None)
    shown = (
        ActionItem.objects.filter(pk__in=actions.values("pk")[:rows])
        .select_related("owner")
        .only(*LISTED, "owner__full_name", "owner__email")
        .annotate(urgency=_urgency())
        .order_by("urgency", "due_on", "id")
    )
    return list(shown), actions.count()


# --- time to action --------------------------------------------------------------------------


@dataclass(frozen=True)
class RecommendationPace:
    """One approved recommendation's way from the session's end to done."""

    recommendation_id: int
    title: str
    debrief_id: int
    session_ended_at: datetime
    decided_at: datetime | None  # first approval
    first_started_at: datetime | None
    done_at: datetime | None  # when its last action was done (all done, dropped aside)

    @property
    def to_decision(self) -> timedelta | None:
        return _span(self.session_ended_at, self.decided_at)

    @property
    def to_start(self) -> timedelta | None:
        return _span(self.decided_at, self.first_started_at)

    @property
    def to_done(self) -> timedelta | None:
        return _span(self.first_started_at, self.done_at)

    @property
    def total(self) -> timedelta | None:
        return _span(self.session_ended_at, self.done_at)


def _span(start: datetime | None, end: datetime | None) -> timedelta | None:
    return end - start if start is not None and end is not None else None


# The stages of time to action: (name, label, start, end) over ``_paced``'s annotations.
STAGES = (
    ("to_decision", "Session end → decided", "ended", "decided"),
    ("to_start", "Decided → first action started", "decided", "first_started"),
    ("to_done", "First action started → done", "first_started", "done"),
    ("total", "Session end → done", "ended", "done"),
)


@dataclass(frozen=True)
class TimeToAction:
    count: int  # approved recommendations measured
    to_decision: timedelta | None  # medians over the recommendations that got that far
    to_start: timedelta | None
    to_done: timedelta | None
    total: timedelta | None
    reached: dict[str, int] = field(default_factory=dict)  # stage → how many got that far
    rows: list[RecommendationPace] = field(default_factory=list)  # only when asked for

    @property
    def stages(self) -> list[tuple[str, timedelta | None, int]]:
        """(label, median, how many got that far) per stage, for pages."""
        return [
            (label, getattr(self, name), self.reached.get(name, 0))
            for name, label, _start, _end in STAGES
        ]


def _paced(
    viewer: Viewer, *, debrief_id: int | None = None, program_id: int | None = None
) -> QuerySet[Any]:
    """The approved recommendations of a debrief or a program the viewer may see, each
    annotated with when it reached each stage (``ended``, ``decided``, ``first_started``,
    ``done``: when its last live action was done, once all are) and how long each stage
    took (``to_decision``, ``to_start``, ``to_done``, ``total``)."""
    first_approval = (
        Decision.objects.filter(recommendation=OuterRef("pk"), outcome=DecisionOutcome.APPROVED)
        .order_by("at", "id")
        .values("at")[:1]
    )
    recs = permissions.scope(viewer, "debrief.view", Recommendation.objects.all()).filter(
        outcome=DecisionOutcome.APPROVED, archived_at=None
    )
    if debrief_id is not None:
        recs = recs.filter(debrief_id=debrief_id)
    if program_id is not None:
        recs = recs.filter(program_id=program_id)
    found: QuerySet[Any] = recs.annotate(
        ended=Coalesce(F("debrief__session__actual_ends_at"), F("debrief__session__ends_at")),
        decided=Coalesce(Subquery(first_approval), F("decided_at")),
        first_started=Min("actions__started_at"),
        last_done=Max("actions__done_at", filter=Q(actions__status=ActionStatus.DONE)),
        n_live=Count("actions", filter=~Q(actions__status=ActionStatus.DROPPED)),
        n_done=Count("actions", filter=Q(actions__status=ActionStatus.DONE)),
    ).annotate(
        done=Case(
            When(Q(n_done__gt=0, n_done=F("n_live")), then=F("last_done")),
            default=None,
            output_field=DateTimeField(),
        )
    )
    spans: QuerySet[Any] = found.annotate(
        **{
            name: ExpressionWrapper(F(end) - F(start), output_field=DurationField())
            for name, _label, start, end in STAGES
        }
    )
    return spans


def _median(rows: QuerySet[Any], name: str, reached: int) -> timedelta | None:
    """The median of stage ``name`` over the ``reached`` rows that got that far, read by the
    database: ordered by the span, the middle one or two (one query, two rows at most)."""
    if not reached:
        return None
    middle = (reached - 1) // 2
    taken = 1 if reached % 2 else 2
    spans: list[timedelta] = list(
        rows.filter(**{f"{name}__isnull": False})
        .order_by(name, "pk")
        .values_list(name, flat=True)[middle : middle + taken]
    )
    if len(spans) < taken:  # the rows changed between counting and reading
        return spans[0] if spans else None
    return spans[0] if taken == 1 else (spans[0] + spans[1]) / 2


def time_to_action(
    viewer: Viewer,
    *,
    debrief_id: int | None = None,
    program_id: int | None = None,
    with_rows: int = 0,
) -> TimeToAction:
    """Time to action of the approved recommendations of a debrief or a program: the median
    of each stage and how many got that far, computed by the database (one query counts
    them, then per stage one counts those that got that far and one reads the middle one or
    two, ordered by the span: the same queries and at most two rows each, whatever the
    number of recommendations); ``with_rows``: the first that many recommendations' ways
    too (the API's first page, one query more; ``paces`` pages them all)."""
    rows = _paced(viewer, debrief_id=debrief_id, program_id=program_id)
    # Counted one query each: an aggregate filtered on these annotations (themselves
    # aggregates of the actions) is not computed right by the ORM's subquery.
    count = rows.order_by().count()
    reached = {
        name: rows.order_by().filter(**{f"{name}__isnull": False}).count() if count else 0
        for name, _label, _start, _end in STAGES
    }
    medians = {name: _median(rows, name, reached[name]) for name in reached}
    paces: list[RecommendationPace] = []
    if with_rows and count:
        paces = [pace(r) for r in _pace_rows(rows)[:with_rows]]
    return TimeToAction(count=count, reached=reached, rows=paces, **medians)


def paces(
    viewer: Viewer, *, debrief_id: int | None = None, program_id: int | None = None
) -> QuerySet[Any]:
    """Each approved recommendation's way from the session's end to done, oldest
    recommendation first: a queryset of rows (pages slice and count it in the database),
    each made a ``RecommendationPace`` by ``pace``."""
    return _pace_rows(_paced(viewer, debrief_id=debrief_id, program_id=program_id))


def _pace_rows(rows: QuerySet[Any]) -> QuerySet[Any]:
    return rows.order_by("id").values(
        "pk", "title", "debrief_id", "ended", "decided", "first_started", "done"
    )


def pace(row: dict[str, Any]) -> RecommendationPace:
    return RecommendationPace(
        recommendation_id=row["pk"],
        title=row["title"],
        debrief_id=row["debrief_id"],
        session_ended_at=row["ended"],
        decided_at=row["decided"],
        first_started_at=row["first_started"],
        done_at=row["done"],
    )
