"""Rows the actions area's tests stand on: a held session of the cast's program, its debrief
and a recommendation with its evidence (rows made directly), approved by the program's
sponsor through the room's decide service (``approve``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from traction.core.testing.cast import Cast
from traction.debrief.models import (
    DEBRIEF_DUE_AFTER,
    Debrief,
    DecisionOutcome,
    Evidence,
    Recommendation,
)
from traction.insights.models import Insight
from traction.sessions.models import Session

BERLIN = ZoneInfo("Europe/Berlin")


def held_session(cast: Cast, *, ends_at: datetime, title: str = "Onboarding co-design") -> Session:
    return Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title=title,
        starts_at=ends_at - timedelta(hours=3),
        ends_at=ends_at,
        actual_ends_at=ends_at,
        held_at=ends_at,
        time_zone="Europe/Berlin",
        created_by=cast.users["facilitator"],
    )


def make_debrief(cast: Cast, *, ends_at: datetime, title: str = "Onboarding co-design") -> Debrief:
    session = held_session(cast, ends_at=ends_at, title=title)
    return Debrief.objects.create(
        workspace=cast.acme,
        session=session,
        program=cast.program,
        due_at=ends_at + DEBRIEF_DUE_AFTER,
        starts_at=ends_at + timedelta(hours=20),
        ends_at=ends_at + timedelta(hours=23),
        opened_at=ends_at + timedelta(hours=20),
    )


def recommendation(
    cast: Cast, debrief: Debrief, *, title: str = "One-page invoice approval"
) -> Recommendation:
    insight = Insight.objects.create(
        workspace=cast.acme,
        program=cast.program,
        session=debrief.session,
        kind="issue",
        text=f"Approval takes three weeks ({title})",
    )
    rec = Recommendation.objects.create(
        workspace=cast.acme,
        debrief=debrief,
        program=cast.program,
        title=title,
        rationale="Customers wait weeks for the first invoice.",
        created_by=cast.users["core_team"],
    )
    Evidence.objects.create(recommendation=rec, insight=insight, added_by=cast.users["core_team"])
    return rec


def approve(cast: Cast, rec: Recommendation, *, reason: str = "Worth it.") -> Recommendation:
    """Approve ``rec`` as the program's executive sponsor, through the room's decide service
    (the one place the actions area's tests make an approval)."""
    from traction.debrief.services import recommendations

    recommendations.decide(cast.viewer("sponsor"), rec, DecisionOutcome.APPROVED, reason)
    rec.refresh_from_db()
    return rec


def approved(
    cast: Cast, debrief: Debrief, title: str = "One-page invoice approval"
) -> Recommendation:
    return approve(cast, recommendation(cast, debrief, title=title))
