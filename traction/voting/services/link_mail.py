"""Emailing customer participants their personal voting links (the use-case).

The facilitator sends them once voting is open, to every customer participant or to some.
Each email carries that customer's own signed link (``links.py``); the link itself is made
when the email is written and stored nowhere. Who is not emailed is said, with the reason:
declined the invitation, withdrew their consent to be contacted, has no address to write
to, unsubscribed from all mail or is unreachable (``customers.reach``). Delivery runs in the
background (``tasks.py``) once the request's transaction commits, and checks the same
conditions again when it runs.

Nothing is recorded as sent before it goes: sending records each link as *queued*
(``LinkDelivery``, and the audit event ``voting.links_queued``); the task then records it
*delivered* once the mail server accepted it, or *not delivered* with the mail server's
reason (or why it was not sent after all), which the facilitator reads on the voting page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.customers import reach
from traction.customers.models import Contact
from traction.sessions.models import DeliveryStatus, Invitation, RsvpStatus, Session
from traction.voting import selectors as ranking
from traction.voting.models import LinkDelivery, VotingRound


@dataclass
class LinkMailing:
    """Whose link was queued for sending, and who was left out, with why."""

    queued: list[Contact] = field(default_factory=list)
    skipped: list[tuple[Contact, str]] = field(default_factory=list)


def why_not_emailed(invitation: Invitation, voting: VotingRound | None) -> str:
    """Why this invitation's contact may not be emailed their voting link now ('' : they may)."""
    contact = invitation.contact
    if voting is None or not voting.is_open:
        return "voting is not open"
    if invitation.session.is_cancelled:
        return "the session was cancelled"
    if invitation.rsvp == RsvpStatus.DECLINED:
        return "declined the invitation"
    if not contact.consent_to_contact:
        return "has not agreed to be contacted"
    if not contact.has_address:
        return "has no email address we can write to"
    return reach.why_not_mail(contact)  # unsubscribed from all mail, or unreachable


@transaction.atomic
def email_voting_links(
    actor: Viewer, *, session: Session, contact_ids: Iterable[int] | None = None
) -> LinkMailing:
    """Queue each customer participant's voting link by email (or only ``contact_ids``'s).

    Refused (ValidationFailed) unless voting is open; a contact id that is not an invited
    customer of the session is refused by name (field ``contact_ids``), and nothing is sent.
    """
    from traction.voting import tasks  # tasks imports this module for its checks

    permissions.check(actor, "voting.run", session)
    voting = ranking.voting_round(session)
    if voting is None or not voting.is_open:
        raise ValidationFailed.field(
            "__all__", "Open voting first: the links only work while voting is open."
        )
    invitations = list(
        Invitation.objects.filter(session=session)
        .select_related("contact", "session")
        .order_by("contact__name", "contact_id")
    )
    if contact_ids is not None:
        wanted = set(contact_ids)
        unknown = wanted - {i.contact_id for i in invitations}
        if unknown:
            raise ValidationFailed.field(
                "contact_ids",
                "Not a customer invited to this session: "
                + ", ".join(str(n) for n in sorted(unknown))
                + ".",
            )
        invitations = [i for i in invitations if i.contact_id in wanted]
    mailing = LinkMailing()
    for invitation in invitations:
        reason = why_not_emailed(invitation, voting)
        if reason:
            mailing.skipped.append((invitation.contact, reason))
            continue
        mailing.queued.append(invitation.contact)
        LinkDelivery.objects.update_or_create(
            round=voting,
            invitation=invitation,
            defaults={
                "workspace_id": session.workspace_id,
                "status": DeliveryStatus.QUEUED,
                "error": "",
                "queued_at": clock.now(),
                "delivered_at": None,
            },
        )
        transaction.on_commit(partial(tasks.deliver_voting_link.enqueue, invitation.pk))
    # By contact id, not name: an erased contact's name must not survive in the trail.
    audit.record(
        actor,
        action="voting.links_queued",
        obj=voting,
        changes={
            "queued": [c.pk for c in mailing.queued],
            "skipped": {str(c.pk): reason for c, reason in mailing.skipped},
        },
    )
    return mailing
