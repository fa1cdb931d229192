"""Closing the loop's objects in the authorization world: in each of Acme's Onboarding
session, Rival's session and Acme's hidden Renewals session, the card the debrief's
recommendation cites (Hank's, a customer priority: ``loop_priority_id``) has a proposed
"heard" status waiting for its customer's account owner (``approval_id``: Owen for Globex
in Onboarding, the admin for Initech in Renewals, the stranger in Rival).
``status_approval_token`` is the signed approve link of that approval: the link is the
credential (no account needed), so every principal holding Acme's gets the page; a link of
another workspace's approval answers 404 under Acme's address, and the hidden world carries
a link that does not verify (404); tampered, expired, superseded, moved and reused links are
tested in traction/loop/tests/test_status_approval_links.py."""

from __future__ import annotations

from typing import Any

from traction.core.testing.cast import Cast

KEYS = ("approval_id", "loop_priority_id", "status_approval_token")


def _objects(world: dict[str, Any], valid_link: bool) -> dict[str, Any]:
    from traction.debrief.models import Evidence
    from traction.insights.models import Insight
    from traction.loop import approval_links
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
    token = approval_links.make_token(approval) if valid_link else "not-a-valid-link"
    return {
        "approval_id": approval.pk,
        "loop_priority_id": card.pk,
        "status_approval_token": token,
    }


def extend(cast: Cast, world: Any) -> None:
    world.acme.update(_objects(world.acme, True))
    world.rival.update(_objects(world.rival, True))
    world.hidden.update(_objects(world.hidden, False))
