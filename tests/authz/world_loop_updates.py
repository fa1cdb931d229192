"""Updates to customers in the authorization world (area UPD): in each of Acme's Onboarding,
Rival's program and Acme's hidden Renewals, an update to the organisation of the loop's
priority card (``update_id``; Globex in Onboarding, Initech in Renewals, Rival's customer)
waits for that organisation's account owner (``update_approval_id``: Owen, the admin, the
stranger). ``approval_token`` is the signed approve link of that approval: the link is the
credential (no account needed), so every principal holding Acme's gets the page; a link of
another workspace's approval answers 404 under Acme's address. The third pass is about
scope, which a link's holder does not need: the hidden world carries a link that does not
verify (404); tampered, expired, superseded, moved and reused links are tested in
traction/loop/tests/test_updates*.py."""

from __future__ import annotations

from typing import Any

from traction.core.testing.cast import Cast

KEYS = ("update_id", "update_approval_id", "approval_token")


def _objects(world: dict[str, Any], valid_link: bool) -> dict[str, Any]:
    from traction.insights.models import Insight
    from traction.loop import approval_links
    from traction.loop.models import Approval, Update

    card = Insight.objects.get(pk=world["loop_priority_id"])
    update = Update.objects.create(
        workspace_id=card.workspace_id,
        program_id=card.program_id,
        audience="customer",
        customer=card.customer,
        subject="Authz update",
        body="Thank you for your time.\n",
        state="awaiting",
        sources={"priorities": [card.pk]},
    )
    approval = Approval.objects.create(
        workspace_id=card.workspace_id,
        program_id=card.program_id,
        subject_kind="update",
        update=update,
        version=1,
        snapshot={"subject": update.subject, "body": update.body, "recipients": []},
        customer=card.customer,
        account_owner_id=card.customer.account_owner_id,
    )
    token = approval_links.make_token(approval) if valid_link else "not-a-valid-link"
    return {"update_id": update.pk, "update_approval_id": approval.pk, "approval_token": token}


def extend(cast: Cast, world: Any) -> None:
    world.acme.update(_objects(world.acme, True))
    world.rival.update(_objects(world.rival, True))
    world.hidden.update(_objects(world.hidden, False))
