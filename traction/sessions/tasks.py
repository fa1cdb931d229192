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
import smtplib
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_tasks import default_task_backend, task

from traction.core import audit, clock
from traction.core.tasks import EMAIL_RETRY_DELAYS
from traction.customers import reach

from . import emails
from .models import (
    DeliveryStatus,
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Participant,
    RsvpAnswer,
    RsvpAnswerEmail,
    RsvpEmails,
    RsvpStatus,
)

logger = logging.getLogger(__name__)


@task()
def deliver_invitation(invitation_id: int, kind: str, attempt: int = 1) -> int:
    """Send an invitation ("invite"), its update ("update") or cancellation ("cancel").

    The invitation records the outcome: "delivered" once the mail server accepted it, or
    "failed" with the reason (a temporary failure is retried after ``RETRY_DELAYS``)."""
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
    already = invitation.last_sequence_sent >= session.calendar_sequence
    if kind == "update" and already:
        # Two changes in a row queue two updates; the first already sent the latest version.
        return 0
    if kind == "reconfirm" and (
        invitation.rsvp != RsvpStatus.RECONFIRM
        or (already and invitation.delivery == DeliveryStatus.DELIVERED)
    ):
        # Answered meanwhile, or the latest version reached them (a resend queues it again).
        return 0
    stopped = reach.why_not_mail(invitation.contact)
    if stopped:
        # Unsubscribed from all mail or unreachable since this was queued: nothing goes,
        # whatever the kind (an update or a cancellation too); the page says why.
        _not_sent(invitation, kind, stopped)
        return 0
    try:
        sent = emails.send_invitation(invitation, kind=cast(emails.Kind, kind))
        if not sent:
            raise smtplib.SMTPException("The mail backend accepted no message.")
    except (smtplib.SMTPException, OSError) as exc:
        _not_delivered(invitation, kind, exc, attempt)
        return 0
    # Delivered to the mail server; remember which version of the event the contact now holds.
    Invitation.objects.filter(pk=invitation.pk).update(
        last_sequence_sent=session.calendar_sequence,
        delivery=DeliveryStatus.DELIVERED,
        delivery_error="",
        delivered_at=clock.now(),
        delivery_attempts=F("delivery_attempts") + 1,
    )
    return sent


# A temporary failure (server unreachable, 4xx) is retried after the delays every email
# shares (core.tasks); a refusal (5xx, e.g. no such recipient) is final: sending again
# would be refused again.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in EMAIL_RETRY_DELAYS)
_KIND_WORDS = {
    "invite": "invitation",
    "update": "update",
    "cancel": "cancellation",
    "reconfirm": "request to confirm the new time",
}


def retry_at(permanent: bool, attempt: int) -> datetime | None:
    """When to try a failed email again after ``attempt`` (None: not again, because the
    server refused it for good, the attempts are used up, or this task backend cannot wait:
    sending again by hand is the way). Shared by every email whose delivery is recorded."""
    if permanent or attempt > len(RETRY_DELAYS) or not default_task_backend.supports_defer:
        return None
    return clock.now() + RETRY_DELAYS[attempt - 1]


def _not_sent(invitation: Invitation, kind: str, stopped: str) -> None:
    """Record that the email was not sent because the contact may not be emailed."""
    text = f"{_KIND_WORDS.get(kind, kind).capitalize()} not sent: the contact is {stopped}."
    if stopped.startswith("unsubscribed"):
        text = f"{_KIND_WORDS.get(kind, kind).capitalize()} not sent: the contact {stopped}."
    Invitation.objects.filter(pk=invitation.pk).update(
        delivery=DeliveryStatus.FAILED, delivery_error=text[:500]
    )
    audit.record(
        None,
        action="invitation.not_delivered",
        obj=invitation,
        changes={"kind": kind, "attempt": 0, "retry": False},
        reason=text,
    )
    logger.info("Invitation %s: %s", invitation.pk, text)


def _not_delivered(invitation: Invitation, kind: str, exc: Exception, attempt: int) -> None:
    """Record why the email did not go, and retry a temporary failure with backoff."""
    permanent, reason = explain_failure(exc)
    again = retry_at(permanent, attempt)
    if again is not None:
        deliver_invitation.using(run_after=again).enqueue(invitation.pk, kind, attempt + 1)
    what = _KIND_WORDS.get(kind, kind).capitalize()
    text = f"{what} not delivered: {reason}"
    if again is not None:
        text += f" Traction tries again at {again:%H:%M} UTC."
    Invitation.objects.filter(pk=invitation.pk).update(
        delivery=DeliveryStatus.FAILED,
        delivery_error=text[:500],
        delivery_attempts=F("delivery_attempts") + 1,
    )
    audit.record(
        None,
        action="invitation.not_delivered",
        obj=invitation,
        changes={"kind": kind, "attempt": attempt, "retry": again is not None},
        reason=text,
    )
    logger.warning("Invitation %s: %s", invitation.pk, text)


def explain_failure(exc: Exception) -> tuple[bool, str]:
    """Why an email did not go: (is it permanent, a sentence for the facilitator). Shared
    by every email whose delivery is recorded (invitations here, voting links in insights)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        ]
        return True, f"the mail server refused the address ({'; '.join(codes)})."
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return exc.smtp_code >= 500, f"the mail server answered {exc.smtp_code} {text}."
    if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        return False, f"the mail server could not be reached ({exc.strerror or exc})."
    return False, f"{exc}."


@task()
def deliver_outreach_request(request_id: int, link: str) -> int:
    """Ask the account owner to decide an outreach request; ``link`` opens the decision."""
    request = _outreach(request_id)
    return emails.send_outreach_request(request, link=link) if request else 0


@task()
def deliver_outreach_requests(owner_id: int, request_ids: list[int], link: str) -> int:
    """Ask account owner ``owner_id``, in ONE email, to decide their contacts of one ask;
    ``link`` opens them on Approvals. Requests decided, or moved to another owner (who is
    asked on their own), meanwhile are left out; nothing is sent when none waits any more."""
    found = list(
        _outreach_rows().filter(
            pk__in=request_ids, account_owner_id=owner_id, status=OutreachStatus.PENDING
        )
    )
    if not found:
        logger.info("Outreach requests %s no longer wait; no email sent.", request_ids)
        return 0
    return emails.send_outreach_requests(found, link=link)


@task()
def deliver_outreach_decision(request_id: int, link: str) -> int:
    """Tell the requester the account owner's decision; ``link`` opens the request."""
    request = _outreach(request_id)
    return emails.send_outreach_decision(request, link=link) if request else 0


def _outreach_rows() -> QuerySet[OutreachRequest]:
    return OutreachRequest.objects.select_related(
        "contact__customer",
        "session__program",
        "session__workspace",
        "account_owner",
        "requested_by",
        "decided_by",
    )


def _outreach(request_id: int) -> OutreachRequest | None:
    request = _outreach_rows().filter(pk=request_id).first()
    if request is None:
        logger.warning("Outreach request %s is gone; no email sent.", request_id)
    return request


# --- internal participants' calendars -------------------------------------------------------------


@task()
def deliver_participant_calendar(participant_id: int, kind: str, attempt: int = 1) -> int:
    """Send an internal participant the session's calendar invitation ("invite"), its update
    ("update") or cancellation ("cancel"), as it is when the task runs.

    The participation records which SEQUENCE they hold, so an update is not sent twice and
    a cancellation goes only to someone who was sent the event."""
    if kind not in ("invite", "update", "cancel"):
        raise ValueError(f"Unknown calendar email kind {kind!r}.")
    participant = (
        Participant.history.select_related(
            "user", "session__program", "session__workspace", "session__created_by"
        )
        .filter(pk=participant_id)
        .first()
    )
    if participant is None:
        return 0
    session = participant.session
    held = participant.calendar_sequence_sent
    if kind != "cancel" and (session.is_cancelled or participant.left_at is not None):
        return 0  # the cancellation replaces it
    if kind == "cancel" and held is None:
        return 0  # never sent the event: nothing to take out of their calendar
    if kind == "update" and held is not None and held >= session.calendar_sequence:
        return 0
    if not participant.user.email:
        return 0
    try:
        sent = emails.send_participant_calendar(participant, kind=cast(emails.Kind, kind))
        if not sent:
            raise smtplib.SMTPException("The mail backend accepted no message.")
    except (smtplib.SMTPException, OSError) as exc:
        permanent, reason = explain_failure(exc)
        again = retry_at(permanent, attempt)
        if again is not None:
            deliver_participant_calendar.using(run_after=again).enqueue(
                participant_id, kind, attempt + 1
            )
        audit.record(
            None,
            action="participant.calendar_not_delivered",
            obj=session,
            changes={"user": participant.user_id, "kind": kind, "attempt": attempt},
            reason=f"Calendar {_KIND_WORDS[kind]} not delivered: {reason}",
        )
        logger.warning("Participant %s: calendar %s not sent: %s", participant_id, kind, reason)
        return 0
    Participant.history.filter(pk=participant.pk).update(
        calendar_sequence_sent=session.calendar_sequence
    )
    audit.record(
        None,
        action="participant.calendar_sent",
        obj=session,
        changes={"user": participant.user_id, "kind": kind, "sequence": session.calendar_sequence},
    )
    return sent


# --- what facilitators hear of RSVPs ------------------------------------------------------------

# The digest gathers the answers of the last week that were not sent yet (a digest that could
# not go yesterday goes today); older answers are history.
DIGEST_WINDOW = timedelta(days=7)
# An answer a facilitator who chose "each answer" was not sent (the mail server was down)
# is sent by the periodic run once this long has passed.
EACH_RETRY_AFTER = timedelta(minutes=10)


def _answers() -> Any:
    return RsvpAnswer.objects.select_related(
        "invitation__contact__customer", "invitation__session__workspace"
    )


def _send_answers(user_id: int, answers: list[RsvpAnswer], *, digest: bool) -> int:
    """Claim the answers for ``user_id`` and send them in one email; nothing is recorded when
    the mail server does not take it (the claim rolls back, so a later run sends it)."""
    from traction.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or not answers:
        return 0
    now = clock.now()
    try:
        with transaction.atomic():
            RsvpAnswerEmail.objects.bulk_create(
                RsvpAnswerEmail(answer=a, user_id=user_id, digest=digest, sent_at=now)
                for a in answers
            )
            sent = emails.send_rsvp_answers(user, answers, digest=digest)
            if not sent:
                raise smtplib.SMTPException("The mail backend accepted no message.")
    except IntegrityError:
        return 0  # another run sent (some of) them meanwhile
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("RSVP email to user %s not sent: %s", user_id, explain_failure(exc)[1])
        return 0
    return sent


@task()
def deliver_rsvp_answer(answer_id: int, user_id: int) -> int:
    """Email one facilitator (who chose "each answer") about one customer's answer."""
    from traction.sessions.services.rsvps import facilitator_ids, rsvp_emails_of

    answer = _answers().filter(pk=answer_id).first()
    if answer is None or RsvpAnswerEmail.objects.filter(answer=answer, user_id=user_id).exists():
        return 0
    session = answer.invitation.session
    if user_id not in facilitator_ids(session):
        return 0
    if rsvp_emails_of(session.workspace_id, [user_id])[user_id] != RsvpEmails.EACH:
        return 0
    return _send_answers(user_id, [answer], digest=False)


@task()
def send_rsvp_digests() -> int:
    """One email per facilitator who chose the daily digest (the default), with the answers
    of their sessions they were not sent yet; at most one digest a day each (in the site's
    time zone), so running it more often changes nothing. Returns the digests sent.

    It also sends again, one by one, what did not reach a facilitator who chose "each
    answer" (the mail server was down when the answer came): ``EACH_RETRY_AFTER`` later."""
    from traction.sessions.services.rsvps import facilitator_ids, rsvp_emails_of

    now = clock.now()
    since = now - DIGEST_WINDOW
    answers = list(_answers().filter(answered_at__gt=since, answered_at__lte=now))
    if not answers:
        return 0
    sent_before = set(
        RsvpAnswerEmail.objects.filter(answer__in=answers).values_list("answer_id", "user_id")
    )
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    pending: dict[int, list[RsvpAnswer]] = {}
    missed: list[tuple[int, RsvpAnswer]] = []
    recipients: dict[int, dict[int, str]] = {}
    for answer in answers:
        session = answer.invitation.session
        if session.pk not in recipients:
            recipients[session.pk] = rsvp_emails_of(session.workspace_id, facilitator_ids(session))
        for user_id, choice in recipients[session.pk].items():
            if (answer.pk, user_id) in sent_before:
                continue
            if choice == RsvpEmails.DIGEST:
                pending.setdefault(user_id, []).append(answer)
            elif choice == RsvpEmails.EACH and answer.answered_at <= now - EACH_RETRY_AFTER:
                missed.append((user_id, answer))
    for user_id, answer in missed:
        _send_answers(user_id, [answer], digest=False)
    total = 0
    for user_id, theirs in pending.items():
        if RsvpAnswerEmail.objects.filter(
            user_id=user_id, digest=True, sent_at__gte=start_of_day
        ).exists():
            continue  # today's digest went already; these wait for tomorrow's
        total += _send_answers(user_id, theirs, digest=True)
    return total


@task()
def rsvp_daily() -> dict[str, int]:
    """The periodic work on RSVPs (``traction sessions remind``, from cron): flag invitations
    still unanswered shortly before their session, then send the day's digests."""
    from traction.sessions.services import flag_unanswered

    flagged = flag_unanswered()
    digests = send_rsvp_digests.call()
    return {"flagged": flagged, "digests": digests}
