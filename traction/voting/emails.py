"""The voting emails: a customer participant's personal voting link.

Plain text, rendered from ``voting/email/*.txt``. Sent at once by the task in ``tasks.py``,
which the use-case in ``services/link_mail.py`` queues when its transaction commits. A customer's
email names that customer only, and carries their link only.
"""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from traction.sessions.emails import absolute, organizer
from traction.sessions.models import Invitation

from . import links
from .models import VotingRound


def send_voting_link(invitation: Invitation, voting: VotingRound) -> int:
    """Email the invitation's contact their own voting link and budget."""
    session = invitation.session
    contact = invitation.contact
    organizer_name, organizer_email = organizer(session)
    body = render_to_string(
        "voting/email/voting_link.txt",
        {
            "contact": contact,
            "session": session,
            "organizer_name": organizer_name,
            "budget": voting.budget,
            "link": absolute(links.url_for(invitation.pk, contact.pk)),
        },
    )
    message = EmailMessage(
        subject=f"Your votes: {session.title}",
        body=body.strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((contact.name, contact.email))],
        reply_to=[formataddr((organizer_name, organizer_email))] if session.created_by else [],
    )
    return message.send()
