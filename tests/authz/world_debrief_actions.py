"""The actions area's objects in the authorization world: in each of Acme's Onboarding
session, Rival's session and Acme's hidden Renewals session, a debrief with an approved
recommendation and an open action item (in Onboarding owned by Cora, core team; Sam
contributes). ``rec_id`` (Acme's) is what write bodies name."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from traction.core.testing.cast import Cast

# (debrief_id: every debrief area fills it, the same debrief). ``review_debrief_id``: a later
# debrief of the same program, whose review lists the action (the review's routes use it).
KEYS = ("action_id", "review_debrief_id")


def _objects(cast: Cast, session_id: int, owner: Any, contributors: list[Any]) -> dict[str, Any]:
    from traction.core import clock
    from traction.debrief.models import (
        ActionItem,
        ActionUpdate,
        Debrief,
        Decision,
        DecisionOutcome,
        Recommendation,
    )
    from traction.sessions.models import Session

    session = Session.objects.get(pk=session_id)
    debrief, _ = Debrief.objects.get_or_create(
        session=session,
        defaults={
            "workspace_id": session.workspace_id,
            "program_id": session.program_id,
            "due_at": session.ends_at + timedelta(hours=24),
            "starts_at": session.ends_at + timedelta(hours=20),
            "ends_at": session.ends_at + timedelta(hours=23),
        },
    )
    rec = Recommendation.objects.create(
        workspace_id=session.workspace_id,
        debrief=debrief,
        program_id=session.program_id,
        title="Authz recommendation",
        outcome=DecisionOutcome.APPROVED,
        decision_reason="Worth it.",
        decided_at=clock.now(),
    )
    Decision.objects.create(
        workspace_id=session.workspace_id,
        recommendation=rec,
        outcome=DecisionOutcome.APPROVED,
        reason="Worth it.",
        decided_by_label="authz",
        decided_as="Admin",
    )
    action = ActionItem.objects.create(
        workspace_id=session.workspace_id,
        recommendation=rec,
        program_id=session.program_id,
        title="Authz action",
        owner=owner,
        due_on=clock.today() + timedelta(days=30),
    )
    action.contributors.set(contributors)
    ActionUpdate.objects.create(
        workspace_id=session.workspace_id,
        action=action,
        status="open",
        note="Created.",
        by_label="authz",
    )
    later = Session.objects.get(pk=session_id)
    later.pk = None
    later.calendar_uid = uuid.uuid4()
    later.title = "Authz later session"
    later.starts_at += timedelta(days=60)
    later.ends_at += timedelta(days=60)
    later.save()
    review = Debrief.objects.create(
        session=later,
        workspace_id=later.workspace_id,
        program_id=later.program_id,
        due_at=later.ends_at + timedelta(hours=24),
        starts_at=later.ends_at + timedelta(hours=20),
        ends_at=later.ends_at + timedelta(hours=23),
    )
    return {
        "debrief_id": debrief.pk,
        "action_id": action.pk,
        "rec_id": rec.pk,
        "review_debrief_id": review.pk,
    }


def extend(cast: Cast, world: Any) -> None:
    world.acme.update(
        _objects(cast, world.acme["session_id"], cast.users["core_team"], [cast.users["sponsor"]])
    )
    world.rival.update(_objects(cast, world.rival["session_id"], cast.users["stranger"], []))
    world.hidden.update(_objects(cast, world.hidden["session_id"], cast.users["admin"], []))
