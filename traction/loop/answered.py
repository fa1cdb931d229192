"""The program page's "recently answered": the customer priorities most recently answered —
a customer-facing status published, or a sent update that cited them — newest first,
bounded, and only priorities (and updates) the reader may see. A fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from traction.core.permissions import Viewer
from traction.insights.models import Insight
from traction.loop import rules as loop_rules
from traction.loop import selectors
from traction.loop.models import PriorityStatus, Update, UpdateState
from traction.programs.models import Program

LIMIT = 8
SCAN = 50  # the latest statuses and sent updates looked at


@dataclass(frozen=True)
class Answer:
    priority: Insight
    at: datetime
    what: str  # "status" or "update"
    label: str  # the status (and window), or the update's subject


def recently(viewer: Viewer, program: Program, limit: int = LIMIT) -> list[Answer]:
    visible = selectors.visible_priorities(viewer, program)
    found: list[tuple[datetime, int, str, str]] = []
    published = (
        PriorityStatus.objects.filter(program_id=program.pk, published_at__isnull=False)
        .filter(priority__in=visible.values("pk"))
        .order_by("-published_at", "-pk")[:SCAN]
    )
    for s in published:
        label = s.get_status_display()
        if s.window is not None:
            label += f" ({s.window.label})"
        assert s.published_at is not None
        found.append((s.published_at, s.priority_id, "status", label))
    sent = Update.objects.filter(
        program_id=program.pk, state=UpdateState.SENT, sent_at__isnull=False
    )
    addressed = loop_rules.update_addressed_to_mine(viewer)
    if addressed is not None:  # an account owner: updates sent to their own customers only
        sent = sent.filter(addressed)
    sent = sent.order_by("-sent_at", "-pk")[:SCAN]
    for u in sent:
        cited = (u.sources or {}).get("priorities") or []
        assert u.sent_at is not None
        for pid in cited:
            if isinstance(pid, int):
                found.append((u.sent_at, pid, "update", u.subject))
    ids = {pid for _, pid, _, _ in found}
    cards = {c.pk: c for c in visible.filter(pk__in=ids)}
    found.sort(key=lambda f: f[0], reverse=True)
    out: list[Answer] = []
    seen: set[int] = set()
    for at, pid, what, label in found:
        if pid in seen or pid not in cards:
            continue
        seen.add(pid)
        out.append(Answer(cards[pid], at, what, label))
        if len(out) >= limit:
            break
    return out
