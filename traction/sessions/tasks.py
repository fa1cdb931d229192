"""Background delivery of session emails through the tasks API (django-tasks).

Tasks take ids and strings only, so any backend can store them. Services enqueue them
when their transaction commits, e.g.
``transaction.on_commit(lambda: deliver_invitation.enqueue(invitation.pk, "invite"))``.
Tasks may run later than they were queued (the database backend in production), so
they send what is true when they run: a row deleted meanwhile sends nothing; an invite or
update for a session cancelled meanwhile sends nothing (its cancellation follows); an update
the contact already has (``Invitation.last_sequence_sent``, set after each send) is not
sent twice.
"""

from __future__ import annotations

import logging
from typing import cast

from django_tasks import task

from . import emails
from .models import Invitation, OutreachRequest

logger = logging.getLogger(__name__)


@task()
def deliver_invitation(invitation_id: int, kind: str) -> int:
    """Send an invitation ("invite"), its update ("update") or cancellation ("cancel")."""
    if kind not in emails.KINDS:
        raise ValueError(f"Unknown invitation email kind {kind!r}; use one of {emails.KINDS}.")
    invitation = (
        Invitation.objects.select_related(
            "contact", "session__program", "session__workspace", "session__created_by"
        )
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        logger.warning("Invitation %s is gone; no %s email sent.", invitation_id, kind)
        return 0
    session = invitation.session
    if kind != "cancel" and session.is_cancelled:
        logger.info(
            "Session %s was cancelled; its cancellation replaces this %s.", session.pk, kind
        )
        return 0
    if kind == "update" and invitation.last_sequence_sent >= session.calendar_sequence:
        # Two changes in a row queue two updates; the first already sent the latest version.
        return 0
    sent = emails.send_invitation(invitation, kind=cast(emails.Kind, kind))
    # Remember which version of the event this contact's calendar now holds.
    Invitation.objects.filter(pk=invitation.pk).update(last_sequence_sent=session.calendar_sequence)
    return sent


@task()
def deliver_outreach_request(request_id: int, link: str) -> int:
    """Ask the account owner to decide an outreach request; ``link`` opens the decision."""
    request = _outreach(request_id)
    return emails.send_outreach_request(request, link=link) if request else 0


@task()
def deliver_outreach_decision(request_id: int, link: str) -> int:
    """Tell the requester the account owner's decision; ``link`` opens the request."""
    request = _outreach(request_id)
    return emails.send_outreach_decision(request, link=link) if request else 0


def _outreach(request_id: int) -> OutreachRequest | None:
    request = (
        OutreachRequest.objects.select_related(
            "contact__customer",
            "session__program",
            "session__workspace",
            "account_owner",
            "requested_by",
            "decided_by",
        )
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        logger.warning("Outreach request %s is gone; no email sent.", request_id)
    return request
