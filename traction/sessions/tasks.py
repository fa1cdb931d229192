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
from typing import cast

from django.db.models import F, QuerySet
from django_tasks import default_task_backend, task

from traction.core import audit, clock
from traction.core.tasks import EMAIL_RETRY_DELAYS

from . import emails
from .models import DeliveryStatus, Invitation, OutreachRequest, OutreachStatus

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
    if kind == "update" and invitation.last_sequence_sent >= session.calendar_sequence:
        # Two changes in a row queue two updates; the first already sent the latest version.
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
_KIND_WORDS = {"invite": "invitation", "update": "update", "cancel": "cancellation"}


def retry_at(permanent: bool, attempt: int) -> datetime | None:
    """When to try a failed email again after ``attempt`` (None: not again, because the
    server refused it for good, the attempts are used up, or this task backend cannot wait:
    sending again by hand is the way). Shared by every email whose delivery is recorded."""
    if permanent or attempt > len(RETRY_DELAYS) or not default_task_backend.supports_defer:
        return None
    return clock.now() + RETRY_DELAYS[attempt - 1]


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
