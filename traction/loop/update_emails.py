"""Emails of the update approvals (docs/loop.md, "Updates"): the account owner is asked (and
reminded) with the text, the exact recipients of their organisation, what changed since they
last approved and a signed approve link; admins are told when an approval waited too long.
Text and HTML parts, through Django's email.

Nothing here fails silently. Each email is an ``ApprovalEmail`` row (the outbox), written in
the service's transaction by ``queue``; the task ``deliver_approval_email`` (queued once that
commits) and the periodic job ``loop.update_approval_mail`` send it in three steps, like an
update's messages (``mailer``): **claim** the row with one conditional UPDATE (only the
worker whose UPDATE changed it goes on, so a retry never sends twice), **re-check** (an
approval decided or superseded meanwhile needs no email: dropped), **send** and record the
outcome: sent; a passing failure (unreachable server, 4xx) → failed, tried again after 1, 5
and 30 minutes, then hourly, ``mailer.MAX_ATTEMPTS`` in all; a refusal for good (5xx) or the
last attempt → given up, audited and shown on the update's page with **Send again**. A
reminder counts (``Approval.reminders_sent``) only once the mail server took it. No error
reaches the request or the periodic run.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from traction.core import audit, clock, mail
from traction.loop import approval_links
from traction.loop.models import (
    Approval,
    ApprovalEmail,
    ApprovalEmailKind,
    ApprovalEmailState,
    ApprovalState,
    UpdateState,
)
from traction.sessions.tasks import explain_failure

logger = logging.getLogger(__name__)

# After this long a claim with no outcome is "unknown": never sent again by itself.
CLAIM_STALE = timedelta(minutes=15)
CLAIMABLE = (ApprovalEmailState.QUEUED, ApprovalEmailState.FAILED)
IN_FLIGHT = (ApprovalEmailState.QUEUED, ApprovalEmailState.CLAIMED, ApprovalEmailState.FAILED)
TO_OWNER = (ApprovalEmailKind.REQUEST, ApprovalEmailKind.REMINDER)


class NoAddress(Exception):
    """Nobody to send to: the account owner (or every admin) has no email address."""


def _absolute(path: str) -> str:
    return settings.TRACTION_SITE_URL.rstrip("/") + path


def _send(subject: str, template: str, context: dict[str, Any], to: list[str]) -> int:
    text = render_to_string(f"loop/email/{template}.txt", context).strip() + "\n"
    html = render_to_string(f"loop/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    message.attach_alternative(html, "text/html")
    return mail.outgoing(message).send()


def _approval(approval_id: int) -> Approval | None:
    return (
        Approval.objects.filter(pk=approval_id)
        .select_related("update", "status", "customer", "account_owner", "program")
        .first()
    )


def subject_waiting(found: Approval) -> bool:
    """Its subject still waits for approvals: an update awaiting them, or a status proposal
    neither published nor replaced by a newer one."""
    if found.subject_kind == "status":
        return (
            found.status is not None
            and found.status.published_at is None
            and found.status.archived_at is None
        )
    return found.update is not None and found.update.state == UpdateState.AWAITING


def _waiting(found: Approval | None) -> bool:
    return (
        found is not None
        and found.state == ApprovalState.PENDING
        and found.superseded_at is None
        and subject_waiting(found)
    )


def subject_path(found: Approval, slug: str) -> str:
    """Where the approval is given: the update's page, or the priority on the program's
    priorities page."""
    if found.subject_kind == "status":
        path = reverse("loop:priorities", args=[slug, found.program_id])
        return f"{path}#priority-{found.status.priority_id if found.status else 0}"
    return reverse("loop:update", args=[slug, found.update_id])


def what(found: Approval) -> str:
    """The subject in the members' words: "An update" or "A status"."""
    return "A status" if found.subject_kind == "status" else "An update"


def notice_action(found: Approval) -> str:
    return f"loop.{found.subject_kind}-approve:{found.pk}"


def notify_owner(found: Approval) -> None:
    """The account owner's in-app notice that an approval waits for them."""
    from traction.accounts.models import Notice, Workspace

    slug = Workspace.objects.only("slug").get(pk=found.workspace_id).slug
    assert found.account_owner_id is not None
    Notice.objects.create(
        workspace_id=found.workspace_id,
        user_id=found.account_owner_id,
        text=f"{what(found)} to {found.customer.name} waits for your approval."[:300],
        link=subject_path(found, slug),
        action=notice_action(found),
    )


def resolve_notice(found: Approval) -> None:
    from traction.accounts.models import Notice

    Notice.objects.filter(action=notice_action(found), resolved_at__isnull=True).update(
        resolved_at=clock.now()
    )


def send_approval_request(found: Approval, *, reminder: bool = False) -> int:
    """Ask (or remind) the account owner (raises ``NoAddress`` or the mail error)."""
    from traction.accounts.models import Workspace
    from traction.loop.services.updates import changes_since_approved

    if found.account_owner is None or not found.account_owner.email:
        raise NoAddress("the account owner has no email address.")
    slug = Workspace.objects.only("slug").get(pk=found.workspace_id).slug
    if found.subject_kind == "status":
        return _send_status_request(found, slug, reminder=reminder)
    context = {
        "approval": found,
        "owner": found.account_owner,
        "program": found.program,
        "snapshot": found.snapshot,
        "changes": changes_since_approved(found),
        "reminder": reminder,
        "approve_url": approval_links.url_for(found, slug),
        "update_url": _absolute(reverse("loop:update", args=[slug, found.update_id])),
    }
    what = "Reminder: approve" if reminder else "Approve"
    subject = f"{what} the update to {found.customer.name}: {found.snapshot.get('subject', '')}"
    return _send(subject[:250], "update_approval", context, [found.account_owner.email])


def _send_status_request(found: Approval, slug: str, *, reminder: bool) -> int:
    """Ask the owner to approve what their customer will hear of a priority."""
    from traction.loop import selectors

    proposal = found.status
    assert proposal is not None
    assert found.account_owner is not None
    context = {
        "approval": found,
        "owner": found.account_owner,
        "program": found.program,
        "proposal": proposal,
        "priority": selectors.priority_for_approver(found),
        "reminder": reminder,
        "approve_url": approval_links.url_for(found, slug),
        "priorities_url": _absolute(subject_path(found, slug)),
    }
    first = "Reminder: approve" if reminder else "Approve"
    subject = (
        f"{first} what {found.customer.name} will hear: {proposal.get_status_display()}"
        f"{' (' + proposal.window.label + ')' if proposal.window else ''}"
    )
    return _send(subject[:250], "status_approval", context, [found.account_owner.email])


def send_escalation(found: Approval, admin_ids: list[int]) -> int:
    """Tell the workspace's admins an approval has waited too long (they may waive it)."""
    from traction.accounts.models import User, Workspace
    from traction.loop.services.updates import escalate_days

    to = list(
        User.objects.filter(pk__in=admin_ids).exclude(email="").values_list("email", flat=True)
    )
    if not to:
        raise NoAddress("no admin has an email address.")
    slug = Workspace.objects.only("slug").get(pk=found.workspace_id).slug
    context = {
        "approval": found,
        "days": escalate_days(),
        "program": found.program,
        "update_url": _absolute(subject_path(found, slug)),
        "what": what(found),
    }
    subject = (
        f"{what(found)} to {found.customer.name} has waited {escalate_days()} days for approval"
    )
    return _send(subject, "update_escalation", context, to)


# --- the outbox ------------------------------------------------------------------------------


def queue(approval: Approval, kind: str, to: list[int]) -> ApprovalEmail:
    """Write the email in the caller's transaction and send it once that commits."""
    row = ApprovalEmail.objects.create(
        workspace_id=approval.workspace_id, approval=approval, kind=kind, to=to
    )
    transaction.on_commit(partial(deliver_approval_email.enqueue, row.pk))
    return row


def in_flight(approval: Approval) -> bool:
    """An email to the owner not sent yet, nor given up: a reminder would only add one."""
    return ApprovalEmail.objects.filter(
        approval=approval, kind__in=TO_OWNER, state__in=IN_FLIGHT
    ).exists()


def _due(now: datetime) -> Q:
    return Q(state__in=CLAIMABLE) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def claim(email_id: int, now: datetime | None = None) -> bool:
    """Take one email for sending, in its own transaction (one UPDATE on the row alone)."""
    now = now or clock.now()
    with transaction.atomic():
        taken = ApprovalEmail.objects.filter(_due(now), pk=email_id).update(
            state=ApprovalEmailState.CLAIMED, claimed_at=now, attempts=F("attempts") + 1
        )
    return taken == 1


def _outcome(email_id: int, **fields: Any) -> int:
    return ApprovalEmail.objects.filter(pk=email_id, state=ApprovalEmailState.CLAIMED).update(
        **fields
    )


def send_one(email_id: int) -> str:
    """Claim, re-check and send one email; its new state ("" when it was not claimed)."""
    if not claim(email_id):
        return ""
    row = ApprovalEmail.objects.get(pk=email_id)
    found = _approval(row.approval_id)
    if found is None or not _waiting(found):
        _outcome(email_id, state=ApprovalEmailState.DROPPED, next_attempt_at=None)
        return ApprovalEmailState.DROPPED
    try:
        if row.kind == ApprovalEmailKind.ESCALATION:
            sent = send_escalation(found, list(row.to))
        else:
            sent = send_approval_request(found, reminder=row.kind == ApprovalEmailKind.REMINDER)
        if not sent:
            raise smtplib.SMTPException("The mail backend accepted no message.")
    except NoAddress as exc:
        return _gave_up(row, found, str(exc))
    except (smtplib.SMTPException, OSError) as exc:
        return _failed(row, found, exc)
    now = clock.now()
    with transaction.atomic():
        _outcome(
            email_id,
            state=ApprovalEmailState.SENT,
            sent_at=now,
            last_error="",
            next_attempt_at=None,
        )
        if row.kind == ApprovalEmailKind.REMINDER:
            Approval.objects.filter(pk=found.pk).update(
                reminders_sent=F("reminders_sent") + 1, last_reminded_at=now
            )
            audit.record(
                None,
                action=f"loop.{found.subject_kind}_approval_reminded",
                obj=found,
                changes={"email": email_id, "attempt": row.attempts},
            )
    return ApprovalEmailState.SENT


def _gave_up(row: ApprovalEmail, found: Approval, reason: str) -> str:
    with transaction.atomic():
        _outcome(
            row.pk,
            state=ApprovalEmailState.GAVE_UP,
            last_error=reason[:500],
            next_attempt_at=None,
        )
        audit.record(
            None,
            action=f"loop.{found.subject_kind}_approval_mail_failed",
            obj=found,
            reason=reason[:300],
            changes={"email": row.pk, "kind": row.kind, "attempt": row.attempts},
        )
    logger.error("Approval email %s (%s) given up: %s", row.pk, row.kind, reason)
    return ApprovalEmailState.GAVE_UP


def _failed(row: ApprovalEmail, found: Approval, exc: Exception) -> str:
    from traction.loop.mailer import retry_delay

    permanent, reason = explain_failure(exc)
    delay = None if permanent else retry_delay(row.attempts)
    if delay is None:
        prefix = "refused for good" if permanent else f"gave up after {row.attempts} attempts"
        return _gave_up(row, found, f"{reason} ({prefix})")
    again = clock.now() + delay
    _outcome(
        row.pk,
        state=ApprovalEmailState.FAILED,
        last_error=reason[:500],
        next_attempt_at=again,
    )
    logger.warning(
        "Approval email %s (%s) not sent (attempt %d): %s Next try at %s.",
        row.pk, row.kind, row.attempts, reason, timezone.localtime(again),
    )  # fmt: skip
    if deliver_approval_email.get_backend().supports_defer:
        deliver_approval_email.using(run_after=again).enqueue(row.pk)
    return ApprovalEmailState.FAILED


@task()
def deliver_approval_email(email_id: int) -> str:
    """The task queued on commit (and for each retry when the backend can defer)."""
    return send_one(email_id)


def stale(now: datetime | None = None) -> Q:
    """Claims with no outcome for longer than ``CLAIM_STALE``: unknown, never resent alone."""
    return Q(state=ApprovalEmailState.CLAIMED, claimed_at__lt=(now or clock.now()) - CLAIM_STALE)


def run() -> dict[str, int]:
    """The periodic job ``loop.update_approval_mail`` (``traction remind``): send what is due
    (emails nobody took, failures whose next attempt has come)."""
    now = clock.now()
    totals: dict[str, int] = {}
    for email_id in (
        ApprovalEmail.objects.filter(_due(now)).order_by("pk").values_list("pk", flat=True)
    ):
        state = send_one(email_id)
        if state:
            totals[state] = totals.get(state, 0) + 1
    totals["unknown"] = ApprovalEmail.objects.filter(stale(now)).count()
    return totals


def latest_to_owner(approval_ids: list[int]) -> dict[int, ApprovalEmail]:
    """The newest request or reminder of each approval (what its page says of the mail)."""
    found: dict[int, ApprovalEmail] = {}
    rows = ApprovalEmail.objects.filter(approval_id__in=approval_ids, kind__in=TO_OWNER)
    for row in rows.order_by("pk"):
        found[row.approval_id] = row
    return found


def may_send_again(row: ApprovalEmail | None, now: datetime | None = None) -> bool:
    """Given up, or claimed and never finished: a member may send it again."""
    if row is None:
        return False
    if row.state == ApprovalEmailState.GAVE_UP:
        return True
    return bool(
        row.state == ApprovalEmailState.CLAIMED
        and row.claimed_at is not None
        and row.claimed_at < (now or clock.now()) - CLAIM_STALE
    )


__all__ = [
    "CLAIM_STALE",
    "NoAddress",
    "claim",
    "deliver_approval_email",
    "in_flight",
    "latest_to_owner",
    "may_send_again",
    "notice_action",
    "notify_owner",
    "queue",
    "resolve_notice",
    "run",
    "send_approval_request",
    "send_escalation",
    "send_one",
    "stale",
    "subject_path",
    "subject_waiting",
    "what",
]
