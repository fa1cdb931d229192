"""The session emails: invitations (with .ics), outreach requests and outreach decisions.

Rendered from ``sessions/email/*``: the customer's invitation in text and HTML
(``invitation_email``), the members' outreach emails in plain text. These functions send at
once; services call them through the tasks in ``tasks.py``, queued when their transaction
commits.
A customer's email names that customer only: never another invitee.
"""

from __future__ import annotations

from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from typing import Any, Literal

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from . import invitation_email, rsvp
from .calendar import Method, build_ics
from .models import Invitation, OutreachRequest, OutreachStatus, Session

Kind = Literal["invite", "update", "cancel"]
KINDS: tuple[Kind, ...] = ("invite", "update", "cancel")

when = invitation_email.when
when_end = invitation_email.when_end


def organizer(session: Session) -> tuple[str, str]:
    """(name, email) of who organises the session: its creator, or Traction itself."""
    user = session.created_by
    if user is not None and user.email:
        return user.full_name or user.email, user.email
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or "Traction", address


def absolute(link: str) -> str:
    """Links in emails are absolute: a path like "/w/acme/..." gets the site's address."""
    if link.startswith("/"):
        return settings.TRACTION_SITE_URL.rstrip("/") + link
    return link


def _render(template: str, context: dict[str, Any]) -> str:
    return render_to_string(f"sessions/email/{template}", context).strip() + "\n"


def _session_context(session: Session) -> dict[str, Any]:
    # The outreach emails (to members); the customer's invitation is ``invitation_email``.
    return {
        "session": session,
        "program": session.program,
        "when": when(session),
        "agenda": list(session.agenda.all()),
    }


def send_invitation(invitation: Invitation, *, kind: Kind) -> int:
    """Email the contact their invitation, an update of it, or its cancellation: text and
    HTML with the workspace's name and logo, and the .ics."""
    if kind not in KINDS:
        raise ValueError(f"Unknown invitation email kind {kind!r}; use one of {KINDS}.")
    session = invitation.session
    contact = invitation.contact
    organizer_name, organizer_email = organizer(session)
    method: Method = "CANCEL" if kind == "cancel" else "REQUEST"
    ics = build_ics(
        session,
        method=method,
        attendees=[contact],
        organizer_email=organizer_email,
        organizer_name=organizer_name,
    )
    digest = invitation_email.logo_digest(session)
    token = rsvp.make_token(invitation.pk, contact.pk)
    rendered = invitation_email.render(
        session,
        kind=kind,
        recipient=invitation_email.Recipient(name=contact.name, email=contact.email),
        organizer_name=organizer_name,
        organizer_email=organizer_email,
        rsvp_link=absolute(reverse("rsvp", args=[token])),
        logo_url=absolute(reverse("rsvp_logo", args=[token]) + f"?v={digest}") if digest else "",
    )
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((contact.name, contact.email))],
        reply_to=[formataddr((organizer_name, organizer_email))] if session.created_by else [],
    )
    message.attach_alternative(rendered.html, "text/html")
    message.attach(calendar_part(ics, method))
    return message.send()


def calendar_part(ics: bytes, method: Method) -> MIMEText:
    """The .ics as "text/calendar; method=…; charset=utf-8", attached as invite.ics.

    Built here rather than by ``EmailMessage.attach(name, content, mimetype)``, which would
    repeat the charset parameter; base64 keeps the file's CRLF line endings intact.
    """
    part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def send_outreach_request(request: OutreachRequest, *, link: str) -> int:
    """Ask the contact's account owner to approve (or decline) inviting the contact."""
    owner = request.account_owner
    if owner is None or not owner.email:
        return 0
    session = request.session
    contact = request.contact
    # The owner reads about their own customers only; other customers' people are a count.
    everyone_else = OutreachRequest.objects.filter(session=session).exclude(pk=request.pk)
    others = (
        everyone_else.filter(contact__customer__account_owner_id=owner.pk)
        .select_related("contact__customer")
        .order_by("contact__customer__name", "contact__name")
    )
    elsewhere = everyone_else.exclude(contact__customer__account_owner_id=owner.pk).count()
    requester = request.requested_by
    context = {
        **_session_context(session),
        "request": request,
        "owner": owner,
        "contact": contact,
        "customer": contact.customer,
        "requester_name": (requester.full_name or requester.email) if requester else "Someone",
        "others": list(others),
        "elsewhere": elsewhere,
        "link": absolute(link),
    }
    message = EmailMessage(
        subject=(
            f"Approval needed: invite {contact.name} from {contact.customer.name} "
            f"to {session.title}"
        ),
        body=_render("outreach_request.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((owner.full_name, owner.email))],
        reply_to=[formataddr((requester.full_name, requester.email))] if requester else [],
    )
    return message.send()


_DECISION_SUBJECT = {
    OutreachStatus.APPROVED: "Approved",
    OutreachStatus.DECLINED: "Declined",
    OutreachStatus.WAIVED: "Approval waived",
}


def send_outreach_decision(request: OutreachRequest, *, link: str) -> int:
    """Tell whoever asked what the account owner (or an admin) decided, and why."""
    requester = request.requested_by
    if requester is None or not requester.email or request.status == OutreachStatus.PENDING:
        return 0
    session = request.session
    contact = request.contact
    decider = request.decided_by
    status = OutreachStatus(request.status)
    verdict = _DECISION_SUBJECT[status]
    if status == OutreachStatus.APPROVED and request.conditions.strip():
        verdict = "Approved with conditions"
    context = {
        **_session_context(session),
        "request": request,
        "status": status.value,
        "contact": contact,
        "customer": contact.customer,
        "requester": requester,
        "decider_name": (decider.full_name or decider.email) if decider else "The account owner",
        "link": absolute(link),
    }
    message = EmailMessage(
        subject=f"{verdict}: invite {contact.name} from {contact.customer.name} to {session.title}",
        body=_render("outreach_decision.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((requester.full_name, requester.email))],
        reply_to=[formataddr((decider.full_name, decider.email))] if decider else [],
    )
    return message.send()
