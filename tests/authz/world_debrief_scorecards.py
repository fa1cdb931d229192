"""The scorecard's objects in the authorization world: in each of the three session worlds
(Acme's Onboarding, Rival's, Acme's hidden Renewals) a debrief of the session, a metric of
its program and a checkpoint. ``test_matrix`` calls ``extend`` after building the world and
fills routes' ``metric_id``, ``checkpoint_id`` and ``debrief_id`` from it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

KEYS = ("metric_id", "checkpoint_id", "debrief_id")


def extend(cast: Any, world: Any) -> None:
    from traction.debrief.models import Checkpoint, Debrief, ScorecardMetric
    from traction.sessions.models import Session

    for part in ("acme", "rival", "hidden"):
        values = getattr(world, part)
        session = Session.objects.get(pk=values["session_id"])
        debrief, _ = Debrief.objects.get_or_create(
            session=session,
            defaults={
                "workspace_id": session.workspace_id,
                "program_id": session.program_id,
                "due_at": session.ends_at + timedelta(hours=24),
                "starts_at": session.ends_at + timedelta(hours=2),
                "ends_at": session.ends_at + timedelta(hours=5),
            },
        )
        metric = ScorecardMetric.objects.create(
            workspace_id=session.workspace_id,
            program_id=session.program_id,
            debrief=debrief,
            name="Authz metric",
            definition="Days to the first paid invoice.",
            unit="days",
            direction="down",
            baseline=14,
            target=2,
        )
        checkpoint, _ = Checkpoint.objects.get_or_create(
            debrief=debrief, months=3, defaults={"on": date(2027, 1, 1)}
        )
        values.update(metric_id=metric.pk, checkpoint_id=checkpoint.pk, debrief_id=debrief.pk)
