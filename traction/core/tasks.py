"""Background work shared by every app, through the tasks API (django-tasks backport).

An email the SMTP server could not take for a passing reason (connection refused or
dropped, timeout, a 4xx answer) is tried again later: after 1 minute, 5 minutes and 30
minutes, when the task backend can defer work (the database queue of production; the
immediate backend of development cannot). Each failure is logged with its reason and the
task ends FAILED, so the worker's log shows it; a permanent refusal (5xx) is not retried.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from . import clock
from .mail import outgoing

logger = logging.getLogger(__name__)

# Seconds to wait before the 2nd, 3rd and 4th attempt.
EMAIL_RETRY_DELAYS = (60, 300, 1800)


def is_transient(exc: BaseException) -> bool:
    """A failure worth trying again: the server was unreachable or answered 4xx."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPServerDisconnected | OSError)


@task()
def deliver_email(
    subject: str,
    body: str,
    recipients: list[str],
    attempt: int = 1,
    from_email: str = "",
    reply_to: list[str] | None = None,
) -> int:
    """Send a plain-text email: from ``from_email`` (a workspace's sender, see
    ``accounts.senders``) or, when empty, ``DEFAULT_FROM_EMAIL``, with ``reply_to`` if any."""
    try:
        message = EmailMessage(
            subject, body, from_email or None, recipients, reply_to=reply_to or None
        )
        return outgoing(message).send()
    except (smtplib.SMTPException, OSError) as exc:
        retry = (
            is_transient(exc)
            and attempt <= len(EMAIL_RETRY_DELAYS)
            and deliver_email.get_backend().supports_defer
        )
        if retry:
            delay = EMAIL_RETRY_DELAYS[attempt - 1]
            deliver_email.using(run_after=clock.now() + timedelta(seconds=delay)).enqueue(
                subject, body, recipients, attempt + 1, from_email, reply_to
            )
            logger.warning(
                "Email %r to %s not sent (attempt %d: %s); trying again in %d s.",
                subject, ", ".join(recipients), attempt, exc, delay,
            )  # fmt: skip
        else:
            logger.error(
                "Email %r to %s not sent (attempt %d: %s); giving up.",
                subject, ", ".join(recipients), attempt, exc,
            )  # fmt: skip
        raise


def send_email_on_commit(
    subject: str,
    body: str,
    recipients: list[str],
    *,
    from_email: str = "",
    reply_to: list[str] | None = None,
) -> None:
    """Queue an email once the surrounding transaction commits (never for a rolled-back change).
    Mail to a customer contact passes the workspace's ``from_email`` and ``reply_to``."""
    transaction.on_commit(
        lambda: deliver_email.enqueue(subject, body, recipients, 1, from_email, reply_to or [])
    )


@dataclass(frozen=True)
class Backlog:
    """Tasks that could have run for a while but have not: no worker is taking them."""

    count: int
    waiting_since: datetime | None

    @property
    def stalled(self) -> bool:
        return self.count > 0


def task_backlog(
    *, older_than: timedelta = timedelta(minutes=5), now: datetime | None = None
) -> Backlog:
    """Tasks (emails) ready to run for longer than ``older_than``, with the oldest's time.

    With the database queue of production, a backlog means no ``traction worker`` has
    taken work for that long; other backends run tasks at once and never have one.
    """
    from django.db.models import Q
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not deliver_email.get_backend().supports_defer:
        return Backlog(0, None)
    cutoff = (now or clock.now()) - older_than
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY).filter(
        Q(run_after=get_date_max(), enqueued_at__lte=cutoff) | Q(run_after__lte=cutoff)
    )
    since = [
        r.enqueued_at if r.run_after == get_date_max() else r.run_after
        for r in waiting.only("enqueued_at", "run_after").order_by("enqueued_at")[:100]
    ]
    return Backlog(waiting.count(), min(since) if since else None)
