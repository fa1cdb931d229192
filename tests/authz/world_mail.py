"""Updates' delivery in the authorization world: in each of Acme's Onboarding session,
Rival's session and Acme's hidden Renewals session, a sent update of the program to the
contact whose words are in the customer priority (``sent_update_id``, which the rows of
routes taking an ``update_id`` name with ``ids``; its one message:
``recipient_id`` and, in the API, ``message_id``), and ``priority_id`` for the portal's
follow buttons and the contact page's "remove follow" (the loop world's priority)."""

from __future__ import annotations

from typing import Any

from traction.core.testing.cast import Cast

KEYS = ("sent_update_id", "recipient_id", "message_id", "priority_id")


def _objects(world: dict[str, Any]) -> dict[str, Any]:
    from traction.core import clock
    from traction.insights.models import Insight
    from traction.loop.models import Update, UpdateRecipient

    card = Insight.objects.select_related("speaker_contact").get(pk=world["loop_priority_id"])
    contact = card.speaker_contact
    assert contact is not None
    update = Update.objects.create(
        workspace_id=card.workspace_id,
        program_id=card.program_id,
        audience="program",
        subject="Authz update",
        body="What came of it.",
        sources={"priorities": [card.pk]},
        state="sent",
        sent_at=clock.now(),
    )
    message = UpdateRecipient.objects.create(
        workspace_id=card.workspace_id,
        update=update,
        contact=contact,
        customer_id=contact.customer_id,
        name=contact.name,
        email=contact.email,
        state="failed",
        last_error="Not delivered yet.",
    )
    return {
        "sent_update_id": update.pk,
        "recipient_id": message.pk,
        "message_id": message.pk,
        "priority_id": card.pk,
    }


def extend(cast: Cast, world: Any) -> None:
    for found in (world.acme, world.rival, world.hidden):
        found.update(_objects(found))
