"""What the scorecard tests share: a held session with its debrief, metrics, a webhook sink."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from traction.core.testing.cast import Cast
from traction.debrief import outbound
from traction.debrief.models import Debrief, DebriefStatus, ScorecardMetric
from traction.debrief.services import scorecards
from traction.sessions.services.sessions import plan_session


def make_debrief(
    cast: Cast,
    *,
    ends_at: datetime | None = None,
    time_zone: str = "UTC",
    program: Any = None,
    closed: bool = False,
) -> Debrief:
    """A session ending ``ends_at`` with its booked debrief; ``closed``: the debrief ran the
    next day and closed (only a closed debrief has results checkpoints)."""
    fran = cast.viewer("facilitator")
    ends_at = ends_at or datetime(2027, 1, 31, 17, 0, tzinfo=UTC)
    session = plan_session(
        fran,
        program=program or cast.program,
        title="Onboarding co-design",
        starts_at=ends_at - timedelta(hours=3),
        ends_at=ends_at,
        time_zone=time_zone,
    )
    debrief = Debrief.objects.update_or_create(  # the debrief booked with the session
        session=session,
        defaults={
            "workspace_id": cast.acme.pk,
            "program": session.program,
            "due_at": ends_at + timedelta(hours=24),
            "starts_at": ends_at + timedelta(hours=2),
            "ends_at": ends_at + timedelta(hours=5),
        },
    )[0]
    return mark_closed(debrief) if closed else debrief


def mark_closed(debrief: Debrief) -> Debrief:
    """The debrief as closing leaves it (opened and closed in its booked slot), without its
    checkpoints: those are what closing or the periodic job make."""
    debrief.status = DebriefStatus.CLOSED
    debrief.opened_at = debrief.starts_at
    debrief.closed_at = debrief.ends_at
    debrief.save(update_fields=["status", "opened_at", "closed_at"])
    return debrief


def make_metric(cast: Cast, name: str = "Days to first invoice", **values: Any) -> ScorecardMetric:
    defaults: dict[str, Any] = {
        "definition": "Days from signing to the first paid invoice.",
        "unit": "days",
        "direction": "down",
        "baseline": Decimal("14"),
        "target": Decimal("1"),
    }
    defaults.update(values)
    return scorecards.create_metric(
        cast.viewer("core_team"), program=cast.program, name=name, **defaults
    )


class Sink:
    """Listens to what the debrief announces."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.events.append(kwargs)

    def __enter__(self) -> Sink:
        outbound.connect(self)
        return self

    def __exit__(self, *exc: object) -> None:
        outbound.disconnect(self)
