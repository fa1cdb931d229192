"""Background delivery of the voting emails through the tasks API (django-tasks).

Tasks take ids only, so any backend can store them, and they may run later than they were
queued: they send what is true when they run. A voting link goes out only while voting is
open, to a contact still invited (not declined) who still consents to be contacted.

Each voting link's delivery is recorded (``LinkDelivery``, queued by ``link_mail``):
delivered once the mail server accepted it, or not delivered with the mail server's
reason, explained as for invitations (``sessions.tasks.explain_failure``); a temporary
failure (server unreachable, 4xx) is tried again later as invitations are
(``sessions.tasks.retry_at``), a refusal is final until the facilitator emails it again.
"""

from __future__ import annotations

import logging
import smtplib

from django.db.models import F
from django_tasks import task

from traction.core import audit, clock
from traction.sessions.models import DeliveryStatus, Invitation
from traction.sessions.tasks import explain_failure, retry_at

from . import emails
from . import selectors as ranking
from .models import LinkDelivery, VotingRound
from .services.link_mail import why_not_emailed

logger = logging.getLogger(__name__)


@task()
def deliver_voting_link(invitation_id: int, attempt: int = 1) -> int:
    """Send the invitation's contact their personal voting link, and record whether it went
    (0: nothing sent; why is recorded for the facilitator and logged)."""
    invitation = (
        Invitation.objects.select_related("contact", "session__workspace", "session__created_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        logger.warning("Invitation %s is gone; no voting link sent.", invitation_id)
        return 0
    voting = ranking.voting_round(invitation.session)
    reason = why_not_emailed(invitation, voting)
    if reason or voting is None:
        logger.info("No voting link for invitation %s: %s", invitation_id, reason)
        if voting is not None:
            _not_delivered(voting, invitation, f"Voting link not sent: {reason}.")
        return 0
    try:
        sent = emails.send_voting_link(invitation, voting)
        if not sent:
            raise smtplib.SMTPException("The mail backend accepted no message.")
    except (smtplib.SMTPException, OSError) as exc:
        permanent, why = explain_failure(exc)
        text = f"Voting link not delivered: {why}"
        again = retry_at(permanent, attempt)
        if again is not None:
            deliver_voting_link.using(run_after=again).enqueue(invitation.pk, attempt + 1)
            text += f" Traction tries again at {again:%H:%M} UTC."
        _not_delivered(voting, invitation, text, retry=again is not None)
        return 0
    LinkDelivery.objects.filter(round=voting, invitation=invitation).update(
        status=DeliveryStatus.DELIVERED,
        error="",
        delivered_at=clock.now(),
        attempts=F("attempts") + 1,
    )
    audit.record(
        None,
        action="voting.link_delivered",
        obj=voting,
        changes={"contact": invitation.contact_id},
    )
    return sent


def _not_delivered(
    voting: VotingRound, invitation: Invitation, text: str, *, retry: bool = False
) -> None:
    LinkDelivery.objects.filter(round=voting, invitation=invitation).update(
        status=DeliveryStatus.FAILED,
        error=text[:500],
        delivered_at=None,
        attempts=F("attempts") + 1,
    )
    audit.record(
        None,
        action="voting.link_not_delivered",
        obj=voting,
        changes={"contact": invitation.contact_id, "retry": retry},
        reason=text,
    )
    logger.warning("Invitation %s: %s", invitation.pk, text)
