"""The voting emails: a customer participant's personal voting link.

Text and HTML (``voting/email/voting_link.txt`` and ``voting_link_body.html``), headed by the
workspace's name and logo like the invitation, from the workspace's sender with its reply-to
address (``accounts.senders``). Sent at once by the task in ``tasks.py``, which the use-case
in ``services/link_mail.py`` queues when its transaction commits. A customer's email names that
customer only, and carries their link only.

Its words fit where the customer stands: "thank you for taking part" only once the session
has ended and they had accepted; before it, or to an invitee who never answered, it asks
them to vote on what the session is about.
"""

from __future__ import annotations

from email.utils import formataddr
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from traction.accounts import senders
from traction.core import clock, mail
from traction.sessions import invitation_email
from traction.sessions.emails import absolute, organizer
from traction.sessions.models import Invitation, RsvpStatus

from . import links
from .models import VotingRound


def send_voting_link(invitation: Invitation, voting: VotingRound) -> int:
    """Email the invitation's contact their own voting link and budget."""
    session = invitation.session
    contact = invitation.contact
    workspace = session.workspace
    organizer_name, organizer_email = organizer(session)
    token = links.make_token(invitation.pk, contact.pk)
    digest = invitation_email.logo_digest(session)
    ended = session.ends_at <= clock.now()
    context: dict[str, Any] = {
        "contact": contact,
        "session": session,
        "workspace_name": workspace.name,
        "organizer_name": organizer_name,
        "budget": voting.budget,
        "link": absolute(links.url_for(invitation.pk, contact.pk)),
        "logo_url": (
            absolute(reverse("voting:ballot_logo", args=[token]) + f"?v={digest}") if digest else ""
        ),
        "took_part": ended and invitation.rsvp == RsvpStatus.ACCEPTED,
        "ended": ended,
    }
    body = render_to_string("voting/email/voting_link_body.html", context)
    html = render_to_string(
        "sessions/email/invitation.html",
        {**context, "body": mark_safe(body)},  # noqa: S308 - our own rendering, escaped
    )
    # The workspace's sender name; replies go to its reply-to address when an admin set
    # one, otherwise to the session's organiser (as the invitation's do).
    organiser = [formataddr((organizer_name, organizer_email))] if session.created_by else []
    message = EmailMultiAlternatives(
        subject=f"Your votes: {session.title}",
        body=render_to_string("voting/email/voting_link.txt", context).strip() + "\n",
        from_email=senders.from_address(workspace),
        to=[formataddr((contact.name, contact.email))],
        reply_to=senders.reply_to(workspace) or organiser,
    )
    message.attach_alternative(html, "text/html")
    return mail.outgoing(message).send()
