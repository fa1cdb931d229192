"""Closing the loop's objects in the authorization world: in each of Acme's Onboarding
session, Rival's session and Acme's hidden Renewals session, the card the debrief's
recommendation cites (Hank's, a customer priority: ``loop_priority_id``) has a proposed
"heard" status waiting for its customer's account owner (``approval_id``: Owen for Globex
in Onboarding, the admin for Initech in Renewals, the stranger in Rival)."""

from __future__ import annotations

from typing import Any

from traction.core.testing.cast import Cast

KEYS = ("approval_id", "loop_priority_id")


def _objects(world: dict[str, Any]) -> dict[str, Any]:
    from traction.debrief.models import Evidence
    from traction.insights.models import Insight
    from traction.loop.models import Approval, PriorityStatus

    card = Insight.objects.get(
        pk=Evidence.objects.get(recommendation_id=world["recommendation_id"]).insight_id
    )
    proposal = PriorityStatus.objects.create(
        workspace_id=card.workspace_id, program_id=card.program_id, priority=card, status="heard"
    )
    approval = Approval.objects.create(
        workspace_id=card.workspace_id,
        program_id=card.program_id,
        status=proposal,
        customer=card.customer,
        account_owner_id=card.customer.account_owner_id,
    )
    return {"approval_id": approval.pk, "loop_priority_id": card.pk}


def extend(cast: Cast, world: Any) -> None:
    for found in (world.acme, world.rival, world.hidden):
        found.update(_objects(found))
