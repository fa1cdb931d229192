"""The slip radar (docs/loop.md): every published status is checked against the facts
again — by ``traction remind`` (the periodic job ``loop.radar``) and right after the
debrief announces a decision or an action item's change. A status the facts no longer back
marks its priority at risk (``AtRisk``: why, since when, and a "change of plan" draft for
the facilitator and the account owner); the mark is cleared when the facts back it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from traction.core import audit, clock
from traction.debrief.models import Evidence
from traction.insights.models import Insight
from traction.loop.models import AtRisk, PriorityStatus
from traction.loop.services import statuses

log = logging.getLogger(__name__)


def current_statuses(priority_ids: Iterable[int] | None = None) -> list[PriorityStatus]:
    """The latest published status of each priority (of ``priority_ids``, or all)."""
    found = PriorityStatus.objects.filter(published_at__isnull=False)
    if priority_ids is not None:
        found = found.filter(priority_id__in=list(priority_ids))
    latest: dict[int, PriorityStatus] = {}
    for s in found.select_related("priority").order_by("published_at", "pk"):
        latest[s.priority_id] = s
    return list(latest.values())


def check_status(current: PriorityStatus) -> str:
    """Check one published status: "marked", "updated", "cleared" or "" (nothing changed)."""
    facts = statuses.gather(current.priority)
    found = statuses.slips(
        current.status,
        facts,
        current.facts or {},
        window=current.window,
        reason=current.customer_reason,
    )
    with transaction.atomic():
        risk = (
            AtRisk.objects.select_for_update()
            .filter(priority_id=current.priority_id, cleared_at__isnull=True)
            .first()
        )
        now = clock.now()
        if risk is not None and (not found or risk.status_id != current.pk):
            risk.cleared_at = now
            risk.save(update_fields=["cleared_at"])
            audit.record(None, action="loop.risk_cleared", obj=risk)
            risk = None
            if not found:
                return "cleared"
        if not found:
            return ""
        draft = statuses.change_of_plan(
            statuses.short(current.priority.text), current.window, found
        )
        if risk is None:
            risk = AtRisk.objects.create(
                workspace_id=current.workspace_id,
                program_id=current.program_id,
                priority_id=current.priority_id,
                status=current,
                reasons=found,
                draft=draft,
                since=now,
                checked_at=now,
            )
            audit.record(None, action="loop.risk_marked", obj=risk, changes={"why": found})
            return "marked"
        if risk.reasons != found:
            risk.reasons = found
            risk.draft = draft
            risk.checked_at = now
            risk.save(update_fields=["reasons", "draft", "checked_at"])
            audit.record(None, action="loop.risk_changed", obj=risk, changes={"why": found})
            return "updated"
        return ""


def check_priority(priority_id: int) -> str:
    found = current_statuses([priority_id])
    return check_status(found[0]) if found else ""


def run() -> dict[str, int]:
    """Every published status, again (the periodic job; idempotent)."""
    counts = {"checked": 0, "marked": 0, "updated": 0, "cleared": 0}
    for current in current_statuses():
        counts["checked"] += 1
        outcome = check_status(current)
        if outcome:
            counts[outcome] += 1
    return counts


def run_and_notify() -> dict[str, int]:
    """The periodic job ``loop.radar``: check every status, then tell the facilitators and
    account owners of the marks nobody was told of yet (one digest each)."""
    from traction.loop.services import risk_notices

    counts = run()
    counts.update(risk_notices.run())
    return counts


def on_debrief_event(*, workspace_id: int, event: str, program_id: int | None, data: Any) -> None:
    """Right after a decision or an action item's change (the debrief's announcements, in
    its transaction): check the statuses of the priorities the recommendation cites."""
    if event == "recommendation.decided":
        rec_id = data["recommendation"]["id"]
    elif event.startswith("action_item."):
        rec_id = data["recommendation_id"]
    else:
        return
    cited = list(
        Evidence.objects.filter(recommendation_id=rec_id).values_list("insight_id", flat=True)
    )
    cards = set(
        Insight.objects.filter(pk__in=cited).values_list("merged_into_id", flat=True)
    ) | set(cited)
    cards.discard(None)  # type: ignore[arg-type]
    for current in current_statuses(cards):
        try:
            with transaction.atomic():
                check_status(current)
        except Exception:  # the debrief's change stands; the periodic job checks again
            log.exception("slip radar: checking priority %s failed", current.priority_id)
