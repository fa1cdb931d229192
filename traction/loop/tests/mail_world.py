"""Sent updates and their messages, built as rows (the send step is another area's): on top
of ``world.build`` — Gina (Globex, consents) raised and voted on ``card``; Ian (Initech)
voted on it too and now consents as well, so both get messages."""

from __future__ import annotations

from dataclasses import dataclass

from traction.core import clock
from traction.customers.models import Contact
from traction.insights.models import Insight
from traction.loop.models import (
    PriorityStatus,
    Update,
    UpdateRecipient,
    UpdateState,
)
from traction.portal import services as portal_services

from . import world as w


@dataclass
class MailWorld:
    base: w.World
    update: Update
    gina: UpdateRecipient
    ian: UpdateRecipient

    @property
    def cast(self):  # type: ignore[no-untyped-def]
        return self.base.cast


def publish(world: w.World, card: Insight, status: str, reason: str = "") -> PriorityStatus:
    cast = world.cast
    return PriorityStatus.objects.create(
        workspace=cast.acme,
        program=cast.program,
        priority=card,
        status=status,
        customer_reason=reason,
        proposed_by=cast.users["facilitator"],
        published_by=cast.users["facilitator"],
        published_at=clock.now(),
    )


def sent_update(
    world: w.World,
    contacts: list[Contact],
    *,
    subject: str = "What came of your input",
    body: str = "On 14 January you told us invoice approval takes three weeks.\n\n"
    "We built a one-page approval <fast> & simple.",
    priorities: list[int] | None = None,
) -> tuple[Update, list[UpdateRecipient]]:
    cast = world.cast
    update = Update.objects.create(
        workspace=cast.acme,
        program=cast.program,
        audience="program",
        subject=subject,
        body=body,
        sources={"priorities": priorities if priorities is not None else [world.card.pk]},
        state=UpdateState.SENT,
        created_by=cast.users["facilitator"],
        sent_at=clock.now(),
        sent_by=cast.users["facilitator"],
    )
    rows = [
        UpdateRecipient.objects.create(
            workspace=cast.acme,
            update=update,
            contact=c,
            customer_id=c.customer_id,
            name=c.name,
            email=c.email,
            reasons=["voter"],
        )
        for c in contacts
    ]
    return update, rows


def build(cast) -> MailWorld:  # type: ignore[no-untyped-def]
    base = w.build(cast)
    Contact.objects.filter(pk=cast.other_contact.pk).update(consent_to_contact=True)
    cast.other_contact.refresh_from_db()
    update, (gina, ian) = sent_update(base, [cast.contact, cast.other_contact])
    return MailWorld(base, update, gina, ian)


def portal_client_token(contact: Contact) -> str:
    """A working portal URL's path for ``contact`` (emailed to nobody)."""
    url = portal_services.issue_link_for_demo(contact)
    return url.split("://", 1)[1].split("/", 1)[1]
