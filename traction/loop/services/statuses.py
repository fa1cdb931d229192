"""The rules of customer-facing statuses: "no over-promising" (DESIGN.md §4), in one place.

Every interface (web, API, the radar, the demo) asks ``refusals`` before a status is
proposed or published, and the slip radar asks it again of every published status. Each
refusal says what is missing, beside the field it is about:

- **heard**: always (the priority is a card customers gave us).
- **under consideration**: a recommendation citing the priority (debrief evidence) that is
  pending, deferred or approved.
- **planned**: an approved recommendation citing it with at least one action item that is
  not dropped and has an owner and a due date; a window (month, quarter, half-year) whose
  last day is no earlier than the latest due date of those actions, and not already over.
- **in progress**: such an action item started (in progress or done).
- **delivered**: all those action items done, or a delivery linked to the priority.
- **not planned**: a reason written for customers.

Any text for customers (the reason) passes ``checker.problems``: no day, no promise words,
and no name of a customer organisation of the workspace or of its contacts (every customer of
the priority reads it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from traction.core import clock
from traction.core.text import check_length
from traction.debrief.models import ActionItem, ActionStatus, DecisionOutcome, Evidence
from traction.insights.models import Insight
from traction.loop import checker, update_checker
from traction.loop.models import Delivery, Status
from traction.loop.windows import Window

WINDOWED = (Status.PLANNED, Status.IN_PROGRESS)
STARTED = (ActionStatus.IN_PROGRESS, ActionStatus.DONE)

# A reason customers read with a status (and a reusable reason text, which becomes one).
CUSTOMER_REASON_MAX = 2_000


@dataclass(frozen=True)
class ActionFact:
    id: int
    title: str
    status: str
    due_on: date
    owned: bool

    @property
    def status_label(self) -> str:
        """As people read it: "In progress", never ``in_progress``."""
        return ActionStatus(self.status).label


@dataclass
class RecommendationFact:
    id: int
    title: str
    outcome: str
    actions: list[ActionFact] = field(default_factory=list)

    @property
    def outcome_label(self) -> str:
        """As people read it: "Not decided yet", never ``pending``."""
        return DecisionOutcome(self.outcome).label

    @property
    def backing(self) -> list[ActionFact]:
        """Its actions that can back a plan: not dropped, with an owner (and a due date)."""
        return [a for a in self.actions if a.status != ActionStatus.DROPPED and a.owned]


@dataclass
class Facts:
    """What a priority's status can rest on, read from the debrief and the deliveries."""

    title: str
    recommendations: list[RecommendationFact] = field(default_factory=list)
    deliveries: list[tuple[int, str, date]] = field(default_factory=list)
    # The workspace's customer organisations and contacts, which no reason may name.
    names: list[str] = field(default_factory=list)

    @property
    def approved(self) -> list[RecommendationFact]:
        return [r for r in self.recommendations if r.outcome == DecisionOutcome.APPROVED]

    @property
    def backing(self) -> list[ActionFact]:
        """The actions of approved recommendations that back a plan."""
        return [a for r in self.approved for a in r.backing]

    @property
    def latest_due(self) -> ActionFact | None:
        backing = self.backing
        return max(backing, key=lambda a: (a.due_on, a.id)) if backing else None

    def snapshot(self) -> dict[str, Any]:
        """The small JSON a status keeps of what it relied on."""
        return {
            "recommendations": [
                {"id": r.id, "title": r.title, "outcome": r.outcome} for r in self.recommendations
            ],
            "actions": [
                {"id": a.id, "title": a.title, "status": a.status, "due_on": a.due_on.isoformat()}
                for a in self.backing
            ],
            "deliveries": [
                {"id": d, "title": t, "on": on.isoformat()} for d, t, on in self.deliveries
            ],
        }


def short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def card_ids(priority: Insight) -> list[int]:
    """The card and the cards merged into it: evidence on any of them is evidence on it."""
    return [priority.pk, *Insight.objects.filter(merged_into=priority).values_list("pk", flat=True)]


def gather(priority: Insight) -> Facts:
    """The facts of one priority: the recommendations citing it (not withdrawn drafts), their
    action items, and the deliveries linked to it (not archived)."""
    facts = Facts(title=short(priority.text))
    recs: dict[int, RecommendationFact] = {}
    links = (
        Evidence.objects.filter(
            insight_id__in=card_ids(priority), recommendation__archived_at__isnull=True
        )
        .select_related("recommendation")
        .order_by("recommendation_id")
    )
    for link in links:
        rec = link.recommendation
        recs.setdefault(rec.pk, RecommendationFact(rec.pk, rec.title, rec.outcome))
    for action in ActionItem.objects.filter(recommendation_id__in=recs).order_by("due_on", "pk"):
        recs[action.recommendation_id].actions.append(
            ActionFact(
                id=action.pk,
                title=action.title,
                status=action.status,
                due_on=action.due_on,
                owned=action.owner_id is not None and action.ownerless_since is None,
            )
        )
    facts.recommendations = list(recs.values())
    facts.deliveries = list(
        Delivery.objects.filter(links__priority=priority, archived_at__isnull=True)
        .order_by("on", "pk")
        .values_list("pk", "title", "on")
    )
    facts.names = update_checker.other_names(priority.workspace_id, [])
    return facts


def _plan_missing(facts: Facts, label: str) -> str | None:
    """Why there is no owned, dated plan ("" parts name what is missing)."""
    prefix = f"{label} needs an approved recommendation with an owned, dated action item"
    if not facts.recommendations:
        return f"{prefix}: no recommendation cites “{facts.title}”."
    if not facts.approved:
        outcomes = sorted({r.outcome for r in facts.recommendations})
        return (
            f"{prefix}: no recommendation citing “{facts.title}” is approved "
            f"({', '.join(outcomes)})."
        )
    if not facts.backing:
        names = ", ".join(f"“{r.title}”" for r in facts.approved)
        return f"{prefix}: {names} has no action with an owner and a due date."
    return None


def refusals(
    status: str,
    facts: Facts,
    *,
    window: Window | None = None,
    reason: str = "",
    today: date | None = None,
) -> dict[str, list[str]]:
    """Why ``status`` (with ``window`` and the customer ``reason``) is not backed by
    ``facts``, field by field; {} when it is."""
    today = today or clock.today()
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if status not in Status.values:
        add("status", "Choose a status.")
        return errors
    label = Status(status).label
    if window is not None and status not in WINDOWED:
        add("window_kind", "Only a planned or in-progress status shows a window.")
    if status == Status.UNDER_CONSIDERATION:
        live = [r for r in facts.recommendations if r.outcome != DecisionOutcome.REJECTED]
        if not facts.recommendations:
            add(
                "status",
                "Under consideration needs a recommendation citing this priority (pending, "
                f"deferred or approved): no recommendation cites “{facts.title}”.",
            )
        elif not live:
            add(
                "status",
                "Under consideration needs a recommendation citing this priority that is "
                f"pending, deferred or approved: every recommendation citing “{facts.title}” "
                "was rejected.",
            )
    elif status in WINDOWED:
        missing = _plan_missing(facts, label)
        if missing:
            add("status", missing)
        elif status == Status.IN_PROGRESS and not any(a.status in STARTED for a in facts.backing):
            add(
                "status",
                "In progress needs an action item of an approved recommendation citing "
                f"“{facts.title}” in progress or done: none has started.",
            )
        if status == Status.PLANNED and window is None:
            add("window_kind", "Planned needs a window: a month, a quarter or a half-year.")
        if window is not None:
            latest = facts.latest_due
            if window.end < today:
                add(
                    "window_start",
                    f"The window {window.label} is over; choose one that has not ended.",
                )
            elif latest is not None and window.end < latest.due_on:
                add(
                    "window_start",
                    f"The window {window.label} ends before the latest due date of its action "
                    f"items ({latest.due_on:%-d %B %Y}, “{latest.title}”): choose "
                    f"{Window.of(window.kind, latest.due_on).label} or later.",
                )
    elif status == Status.DELIVERED:
        backing = facts.backing
        open_ = [a for a in backing if a.status != ActionStatus.DONE]
        if not facts.deliveries and (not backing or open_):
            if not backing:
                why = "no action item of an approved recommendation cites it"
            else:
                names = ", ".join(f"“{a.title}”" for a in open_[:3])
                why = f"{len(open_)} of {len(backing)} action items are not done ({names})"
            add(
                "status",
                f"Delivered needs every action item done or a delivery linked to "
                f"“{facts.title}”: {why}, and no delivery is linked.",
            )
    elif status == Status.NOT_PLANNED and not reason.strip():
        add("customer_reason", "Not planned needs a reason written for customers.")
    check_length(errors, "customer_reason", reason, CUSTOMER_REASON_MAX)
    for problem in checker.problems(reason, names=facts.names):
        add("customer_reason", problem)
    return errors


def slips(
    status: str,
    facts: Facts,
    snapshot: dict[str, Any],
    *,
    window: Window | None,
    reason: str,
    today: date | None = None,
) -> list[str]:
    """Why a published status is no longer backed, for the facilitator (the radar): the
    rules asked again, plus, for a planned or in-progress status, what changed since it
    relied on the facts of ``snapshot`` (an action blocked or dropped, a recommendation
    reversed)."""
    found: list[str] = []
    now = {a.id: a for r in facts.recommendations for a in r.actions}
    outcomes = {r.id: r for r in facts.recommendations}
    relied = snapshot.get("recommendations", []) if status in WINDOWED else []
    for old in relied:
        rec = outcomes.get(old["id"])
        if rec is None:
            found.append(f"The recommendation “{old['title']}” no longer cites this priority.")
        elif old["outcome"] == DecisionOutcome.APPROVED and rec.outcome != DecisionOutcome.APPROVED:
            found.append(f"The recommendation “{rec.title}” was {rec.outcome} after approval.")
    if status in WINDOWED:
        for old in snapshot.get("actions", []):
            action = now.get(old["id"])
            if action is None:
                continue
            if action.status == ActionStatus.BLOCKED:
                found.append(f"The action item “{action.title}” is blocked.")
            elif action.status == ActionStatus.DROPPED:
                found.append(f"The action item “{action.title}” was dropped.")
    if status == Status.PLANNED and window is not None:
        late = [a for a in facts.backing if a.due_on > window.end and a.status != "done"]
        for action in late:
            found.append(
                f"The action item “{action.title}” is now due {action.due_on:%-d %B %Y}, after "
                f"the window shown to customers ({window.label})."
            )
    # Checks of the window's end are the radar's above; the rest of the rules as proposed.
    for messages in refusals(status, facts, window=None, reason=reason, today=today).items():
        for message in messages[1]:
            if message not in found and not message.startswith("Planned needs a window"):
                found.append(message)
    passed = window is not None and window.end < (today or clock.today())
    unfinished = not facts.backing or any(a.status != ActionStatus.DONE for a in facts.backing)
    if status in WINDOWED and window is not None and passed and unfinished:
        found.append(f"The window shown to customers ({window.label}) has passed.")
    return found


def change_of_plan(title: str, window: Window | None, found: list[str]) -> str:
    """An honest draft for customers when a published status slipped: what we said, that
    the plan changed, no promise and no day (it passes ``checker.problems``)."""
    causes: list[str] = []
    text = " ".join(found).lower()
    if "blocked" in text:
        causes.append("part of the work is held up")
    if "dropped" in text:
        causes.append("part of the work was stopped")
    if "after the window" in text or "ends before" in text:
        causes.append("the work now runs past that window")
    if "after approval" in text or "no longer cites" in text or "rejected" in text:
        causes.append("the decision behind it changed")
    if "has passed" in text:
        causes.append("that window has passed without it being finished")
    because = "; ".join(causes) or "the plan behind it changed"
    if window is not None:
        opening = (
            f"An honest update on “{title}”: we told you this was planned for {window.label}. "
            f"Since then {because}."
        )
    else:
        opening = f"An honest update on “{title}”: since we last wrote to you about it, {because}."
    return (
        f"{opening} We are reviewing the plan now, and we are sorry for the change. We are "
        "writing to you again as soon as a new plan is decided."
    )
