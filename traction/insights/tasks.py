"""Background delivery of the insights emails through the tasks API (django-tasks).

Tasks take ids only, so any backend can store them, and they may run later than they were
queued: they send what is true when they run. A voting link goes out only while voting is
open, to a contact still invited (not declined) who still consents to be contacted.
"""

from __future__ import annotations

import logging

from django_tasks import task

from traction.sessions.models import Invitation

from . import emails, ranking
from .link_mail import why_not_emailed

logger = logging.getLogger(__name__)


@task()
def deliver_voting_link(invitation_id: int) -> int:
    """Send the invitation's contact their personal voting link (0: nothing sent, and why
    is logged)."""
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
        return 0
    return emails.send_voting_link(invitation, voting)
