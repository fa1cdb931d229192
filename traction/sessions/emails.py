"""The session emails: invitations (with .ics), outreach requests and outreach decisions,
internal participants' calendar invitations, and facilitators' RSVP news.

Rendered from ``sessions/email/*``: the customer's invitation in text and HTML
(``invitation_email``), the members' outreach emails in plain text. These functions send at
once; services call them through the tasks in ``tasks.py``, queued when their transaction
commits.
A customer's email names that customer only: never another invitee.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from traction.accounts import senders
from traction.core import mail

from . import invitation_email, rsvp
from .calendar import Method, build_ics
from .models import Invitation, OutreachRequest, OutreachStatus, Participant, RsvpAnswer, Session

Kind = invitation_email.Kind
KINDS: tuple[Kind, ...] = ("invite", "update", "cancel", "reconfirm")

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
    # The workspace's sender name; replies go to its reply-to address when an admin set
    # one, otherwise to the session's organiser.
    workspace = session.workspace
    organiser = [formataddr((organizer_name, organizer_email))] if session.created_by else []
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=senders.from_address(workspace),
        to=[formataddr((contact.name, contact.email))],
        reply_to=senders.reply_to(workspace) or organiser,
    )
    message.attach_alternative(rendered.html, "text/html")
    message.attach(calendar_part(ics, method))
    return mail.outgoing(message).send()


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
    return send_outreach_requests([request], link=link)


def send_outreach_requests(requests: Sequence[OutreachRequest], *, link: str) -> int:
    """ONE email asking an account owner to decide their contacts of one ask (requests of one
    session, filed together with one message): every contact listed, one link to decide
    them all. The requests must share their session, batch and account owner."""
    if not requests:
        return 0
    first = requests[0]
    owner = first.account_owner
    if owner is None or not owner.email:
        return 0
    if any(
        (r.session_id, r.batch, r.account_owner_id)
        != (first.session_id, first.batch, first.account_owner_id)
        for r in requests
    ):
        raise ValueError("One email covers the requests of one ask to one account owner.")
    session = first.session
    asked = sorted(requests, key=lambda r: (r.contact.customer.name, r.contact.name))
    # The owner reads about their own customers only; other customers' people are a count.
    everyone_else = OutreachRequest.objects.filter(session=session).exclude(
        pk__in=[r.pk for r in requests]
    )
    others = (
        everyone_else.filter(contact__customer__account_owner_id=owner.pk)
        .select_related("contact__customer")
        .order_by("contact__customer__name", "contact__name")
    )
    elsewhere = everyone_else.exclude(contact__customer__account_owner_id=owner.pk).count()
    requester = first.requested_by
    customers = sorted({r.contact.customer.name for r in asked})
    context = {
        **_session_context(session),
        "request": first,
        "requests": asked,
        "owner": owner,
        "customers": customers,
        "requester_name": (requester.full_name or requester.email) if requester else "Someone",
        "others": list(others),
        "elsewhere": elsewhere,
        "link": absolute(link),
    }
    if len(asked) == 1:
        contact = asked[0].contact
        subject = (
            f"Approval needed: invite {contact.name} from {contact.customer.name} "
            f"to {session.title}"
        )
    else:
        subject = f"Approval needed: invite {len(asked)} contacts to {session.title}"
    message = EmailMessage(
        subject=subject,
        body=_render("outreach_request.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((owner.full_name, owner.email))],
        reply_to=[formataddr((requester.full_name, requester.email))] if requester else [],
    )
    return mail.outgoing(message).send()


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
    return mail.outgoing(message).send()


# --- internal participants and facilitators ----------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A member as a calendar attendee."""

    name: str
    email: str


def send_participant_calendar(participant: Participant, *, kind: Kind) -> int:
    """Email an internal participant the session's calendar invitation, its update or its
    cancellation (.ics with the session's one UID and its current SEQUENCE)."""
    if kind not in ("invite", "update", "cancel"):
        raise ValueError(f"Unknown calendar email kind {kind!r}.")
    session = participant.session
    user = participant.user
    organizer_name, organizer_email = organizer(session)
    method: Method = "CANCEL" if kind == "cancel" else "REQUEST"
    ics = build_ics(
        session,
        method=method,
        attendees=[Person(user.full_name, user.email)],
        organizer_email=organizer_email,
        organizer_name=organizer_name,
    )
    slug = session.workspace.slug
    context = {
        **_session_context(session),
        "kind": kind,
        "participant": participant,
        "user": user,
        "role": participant.get_role_display().lower(),
        "removed": participant.left_at is not None and not session.is_cancelled,
        "organizer_name": organizer_name,
        "session_link": absolute(reverse("sessions:detail", args=[slug, session.pk])),
        "briefing_link": absolute(reverse("sessions:briefing", args=[slug, session.pk])),
    }
    message = EmailMessage(
        subject=f"{invitation_email.SUBJECT_PREFIX[kind]}: {session.title} — {when(session)}",
        body=_render("participant_calendar.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((user.full_name, user.email))],
    )
    message.attach(calendar_part(ics, method))
    return mail.outgoing(message).send()


def send_rsvp_answers(user: Any, answers: list[RsvpAnswer], *, digest: bool) -> int:
    """Tell a facilitator about customers' RSVP answers: one answer as it comes, or the
    day's answers in one digest, grouped by session."""
    if not answers:
        return 0
    workspace = answers[0].invitation.session.workspace
    sessions: dict[int, dict[str, Any]] = {}
    for answer in answers:
        session = answer.invitation.session
        entry = sessions.setdefault(
            session.pk,
            {
                "session": session,
                "when": when(session),
                "link": absolute(reverse("sessions:detail", args=[workspace.slug, session.pk])),
                "answers": [],
            },
        )
        entry["answers"].append(answer)
    settings_link = absolute(reverse("accounts:settings", args=[workspace.slug]))
    if digest:
        subject = f"RSVPs today: {len(answers)} answer{'s' if len(answers) != 1 else ''}"
    else:
        answer = answers[0]
        contact = answer.invitation.contact
        subject = (
            f"RSVP: {contact.name} {answer.get_rsvp_display().lower()} "
            f"— {answer.invitation.session.title}"
        )
    context = {
        "user": user,
        "workspace": workspace,
        "digest": digest,
        "sessions": list(sessions.values()),
        "settings_link": settings_link,
    }
    message = EmailMessage(
        subject=subject,
        body=_render("rsvp_answers.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((user.full_name, user.email))],
    )
    return mail.outgoing(message).send()
