"""Delivering a sent update by email (docs/loop.md, "Email delivery").

``UpdateRecipient`` rows are the outbox: one email each. Sending one is three steps:

1. **Claim** it in its own transaction: a conditional UPDATE moves it from queued (or failed,
   once its ``next_attempt_at`` has come) to claimed and counts the attempt. Only the worker
   whose UPDATE changed the row sends it, so a retry, the periodic job and a second worker
   never send the same message twice.
2. **Re-check** who it goes to: an unsubscribe, a bounce (unreachable), a withdrawn consent, an
   archived or erased contact since the account owner approved the list → skipped, with why.
3. **Send** (text and HTML parts, the workspace's sender name and reply-to, ``Message-ID`` stored,
   ``List-Unsubscribe`` with one-click POST) and record the outcome: accepted → sent; a
   passing failure (unreachable server, 4xx) → failed with the next attempt (1, 5, 30
   minutes, then hourly until ``MAX_ATTEMPTS``, then undeliverable); a refusal for good
   (5xx, recipient refused) → undeliverable, bounced, and the contact flagged unreachable.

A claim that never got an outcome (the worker died between claiming and recording) is not
sent again by itself — the mail server may have taken it. After ``CLAIM_STALE`` the update's
page shows it as "unknown: check before resending", with a button to resend it.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from traction.accounts import senders
from traction.core import audit, clock, dates, mail
from traction.core.permissions import Viewer
from traction.core.tasks import EMAIL_RETRY_DELAYS
from traction.customers import reach
from traction.customers.models import Contact
from traction.sessions.tasks import explain_failure

from . import mail_links
from .models import (
    DeliveryPriority,
    MessageState,
    PriorityStatus,
    Status,
    Unsubscribe,
    UnsubscribeScope,
    Update,
    UpdateRecipient,
    UpdateState,
)

logger = logging.getLogger(__name__)

# After this long a claim with no outcome is "unknown": never resent by itself.
CLAIM_STALE = timedelta(minutes=15)
# Attempts in all (1, 5 and 30 minutes apart, then hourly); then it is given up.
MAX_ATTEMPTS = 8
HOURLY = timedelta(hours=1)
CLAIMABLE = (MessageState.QUEUED, MessageState.FAILED)


def retry_delay(attempt: int) -> timedelta | None:
    """How long after failed attempt number ``attempt`` the next one is due (None: give up)."""
    if attempt >= MAX_ATTEMPTS:
        return None
    if attempt <= len(EMAIL_RETRY_DELAYS):
        return timedelta(seconds=EMAIL_RETRY_DELAYS[attempt - 1])
    return HOURLY


# --- what an update is about ------------------------------------------------------------


def priority_ids(update: Update) -> list[int]:
    """The priorities an update speaks of: its sources' ``priorities`` (ids, or objects with
    an ``id``) and, for a delivery's update, the priorities the delivery touches."""
    found: list[int] = []
    for item in (update.sources or {}).get("priorities", []) or []:
        value = item.get("id") if isinstance(item, dict) else item
        if isinstance(value, int) and value not in found:
            found.append(value)
    for pid in _delivered_by(update):
        if pid not in found:
            found.append(pid)
    return found


def _delivered_by(update: Update) -> list[int]:
    """The priorities the deliveries a delivery update is about touch."""
    if not update.delivery_id:
        return []
    return list(
        DeliveryPriority.objects.filter(delivery__folded_updates=update)
        .order_by("delivery__on", "delivery_id", "id")
        .values_list("priority_id", flat=True)
    )


def delivered_priority_ids(update: Update) -> list[int]:
    """Priorities of the update that are delivered: their published status says so, or the
    update is about a delivery that touches them. These carry "did it work for you?"."""
    ids = priority_ids(update)
    touched = set(_delivered_by(update))
    latest: dict[int, str] = {}
    for pid, status in (
        PriorityStatus.objects.filter(priority_id__in=ids, published_at__isnull=False)
        .order_by("published_at", "pk")
        .values_list("priority_id", "status")
    ):
        latest[pid] = status
    return [p for p in ids if p in touched or latest.get(p) == Status.DELIVERED]


def feedback_priority_ids(recipient: UpdateRecipient) -> list[int]:
    """The delivered priorities of the update that this recipient raised, voted on or
    follows: only those carry "did it work for you?" for them (another organisation's card
    they have no part in is not theirs to judge, nor theirs to read — nor a card their note
    was merged into that keeps another organisation's words)."""
    from traction.insights.models import Insight

    from .audience import subscribers
    from .mail_rules import theirs_to_read

    delivered = delivered_priority_ids(recipient.update)
    theirs = {w.priority_id for w in subscribers(delivered).get(recipient.contact_id, [])}
    readable = set(
        Insight.objects.filter(pk__in=theirs)
        .filter(theirs_to_read(recipient.contact_id))
        .values_list("pk", flat=True)
    )
    return [p for p in delivered if p in readable]


# --- the email -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    from_email: str
    reply_to: list[str]


def sender(update: Update) -> str:
    """The workspace's sender name (by default its name) with Traction's sending address."""
    return senders.from_address(update.workspace)


def render(recipient: UpdateRecipient) -> Rendered:
    """The message for one recipient: the update's own text (escaped, in paragraphs, in
    the HTML part), then the links only they can use."""
    from traction.insights.models import Insight

    update = recipient.update
    ids = priority_ids(update)
    scoped = {
        "priority": mail_links.unsubscribe_token(recipient.pk, "priority", tuple(ids))
        if ids
        else "",
        "program": mail_links.unsubscribe_token(recipient.pk, "program", (update.program_id,)),
        "all": mail_links.unsubscribe_token(recipient.pk, "all"),
    }
    delivered = {
        i.pk: i.text
        for i in Insight.objects.filter(pk__in=feedback_priority_ids(recipient)).only("pk", "text")
    }
    feedback = [
        {
            "text": text,
            "links": [
                (label, mail_links.feedback_url(mail_links.feedback_token(recipient.pk, pid), a))
                for a, label in (("yes", "Yes"), ("partly", "Partly"), ("no", "No"))
            ],
        }
        for pid, text in delivered.items()
    ]
    context = {
        "update": update,
        "name": recipient.name,
        "workspace": update.workspace.name,
        "feedback": feedback,
        "unsubscribe_priority": mail_links.unsubscribe_url(scoped["priority"])
        if scoped["priority"]
        else "",
        "unsubscribe_program": mail_links.unsubscribe_url(scoped["program"]),
        "unsubscribe_all": mail_links.unsubscribe_url(scoped["all"]),
        "portal_url": mail_links.portal_update_url(update.pk),
        "program_name": update.program.name,
    }
    text = render_to_string("loop/email/update.txt", context).strip() + "\n"
    html = render_to_string("loop/email/update.html", context)
    headers = {
        # RFC 2369 and RFC 8058: one click stops this program's updates.
        "List-Unsubscribe": f"<{mail_links.one_click_url(scoped['program'])}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return Rendered(
        update.subject, text, html, headers, sender(update), senders.reply_to(update.workspace)
    )


def _send(recipient: UpdateRecipient, message_id: str) -> int:
    rendered = render(recipient)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=rendered.from_email,
        to=[formataddr((recipient.name, recipient.email))],
        reply_to=rendered.reply_to,
        headers={**rendered.headers, "Message-ID": message_id},
    )
    message.attach_alternative(rendered.html, "text/html")
    return mail.outgoing(message).send()


# --- claims, re-checks and outcomes --------------------------------------------------------


def _claimable(now: datetime) -> Q:
    return Q(state__in=CLAIMABLE, update__state=UpdateState.SENT) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def claim(recipient_id: int, now: datetime | None = None) -> bool:
    """Take one message for sending, in its own transaction (see the module's docstring)."""
    now = now or clock.now()
    if not Update.objects.filter(recipients=recipient_id, state=UpdateState.SENT).exists():
        return False  # a sent update stays sent, so this need not be in the UPDATE
    with transaction.atomic():
        # One statement on the row alone: of two workers, the second one's UPDATE finds the
        # row claimed already (the database re-checks its WHERE after the first commits).
        taken = (
            UpdateRecipient.objects.filter(pk=recipient_id, state__in=CLAIMABLE)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .update(state=MessageState.CLAIMED, claimed_at=now, attempts=F("attempts") + 1)
        )
    return taken == 1


def stop_reason(recipient: UpdateRecipient, ids: list[int] | None = None) -> str:
    """Why this message must not go now ("" when it may): what changed since approval."""
    contact = Contact.objects.get(pk=recipient.contact_id)
    update = recipient.update
    if contact.erased_at is not None:
        return "The contact was erased."
    if contact.archived_at is not None:
        return "The contact was archived."
    stopped_all = reach.why_not_mail(contact)  # unreachable, or unsubscribed from all mail
    if stopped_all:
        return stopped_all[0].upper() + stopped_all[1:] + "."
    if not contact.consent_to_contact:
        return "The contact withdrew their consent to be contacted."
    ids = priority_ids(update) if ids is None else ids
    stops = list(
        Unsubscribe.objects.filter(contact_id=contact.pk).filter(
            Q(scope=UnsubscribeScope.PROGRAM, program_id=update.program_id)
            | Q(scope=UnsubscribeScope.PRIORITY, priority_id__in=ids)
        )
    )
    for stop in stops:
        if stop.scope == UnsubscribeScope.PROGRAM:
            return f"Unsubscribed from this program on {dates.short(stop.at)}."
    stopped = {s.priority_id for s in stops}
    if ids and stopped >= set(ids) and update.audience != "session":
        last = max(s.at for s in stops)
        return f"Unsubscribed from these priorities on {dates.short(last)}."
    return ""


def _outcome(recipient_id: int, **fields: Any) -> int:
    return UpdateRecipient.objects.filter(pk=recipient_id, state=MessageState.CLAIMED).update(
        **fields
    )


def flag_unreachable(
    actor: Viewer | None, contact_id: int, reason: str, *, obj: Any = None
) -> bool:
    """Mark a contact unreachable (audited); False when they were already."""
    now = clock.now()
    changed = Contact.objects.filter(pk=contact_id, unreachable_at__isnull=True).update(
        unreachable_at=now, unreachable_reason=reason[:300]
    )
    if changed:
        contact = Contact.objects.get(pk=contact_id)
        audit.record(
            actor, action="contact.unreachable", obj=contact, reason=reason[:300], changes={}
        )
    return bool(changed)


def send_one(recipient_id: int) -> str:
    """Claim, re-check and send one message; its new state ("" when it was not claimed)."""
    if not claim(recipient_id):
        return ""
    recipient = UpdateRecipient.objects.select_related(
        "update__workspace", "update__program", "update__delivery"
    ).get(pk=recipient_id)
    why_not = stop_reason(recipient)
    if why_not:
        _outcome(recipient_id, state=MessageState.SKIPPED, last_error=why_not[:500])
        audit.record(
            None, action="loop.message_skipped", obj=recipient.update, reason=why_not,
            changes={"recipient": recipient_id},
        )  # fmt: skip
        return MessageState.SKIPPED
    message_id = recipient.message_id or make_msgid(
        domain=parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "traction"
    )
    UpdateRecipient.objects.filter(pk=recipient_id).update(message_id=message_id)
    try:
        if not _send(recipient, message_id):
            raise smtplib.SMTPException("The mail backend accepted no message.")
    except (smtplib.SMTPException, OSError) as exc:
        return _failed(recipient, exc)
    _outcome(
        recipient_id,
        state=MessageState.SENT,
        sent_at=clock.now(),
        last_error="",
        next_attempt_at=None,
    )
    return MessageState.SENT


def _failed(recipient: UpdateRecipient, exc: Exception) -> str:
    permanent, reason = explain_failure(exc)
    attempt = UpdateRecipient.objects.values_list("attempts", flat=True).get(pk=recipient.pk)
    now = clock.now()
    if permanent:
        with transaction.atomic():
            _outcome(
                recipient.pk,
                state=MessageState.UNDELIVERABLE,
                bounced_at=now,
                last_error=f"Refused for good: {reason}"[:500],
                next_attempt_at=None,
            )
            flag_unreachable(None, recipient.contact_id, f"Mail refused: {reason}")
            audit.record(
                None, action="loop.message_undeliverable", obj=recipient.update, reason=reason,
                changes={"recipient": recipient.pk, "attempt": attempt},
            )  # fmt: skip
        return MessageState.UNDELIVERABLE
    delay = retry_delay(attempt)
    if delay is None:
        _outcome(
            recipient.pk,
            state=MessageState.UNDELIVERABLE,
            last_error=f"Gave up after {attempt} attempts: {reason}"[:500],
            next_attempt_at=None,
        )
        audit.record(
            None, action="loop.message_undeliverable", obj=recipient.update, reason=reason,
            changes={"recipient": recipient.pk, "attempt": attempt},
        )  # fmt: skip
        return MessageState.UNDELIVERABLE
    again = now + delay
    _outcome(
        recipient.pk,
        state=MessageState.FAILED,
        last_error=f"Not delivered yet: {reason} Next try at "
        f"{dates.short(timezone.localtime(again))}, {timezone.localtime(again):%H:%M} "
        f"({timezone.get_current_timezone_name()})."[:500],
        next_attempt_at=again,
    )
    logger.warning("Update message %s not sent (attempt %d): %s", recipient.pk, attempt, reason)
    if deliver_update.get_backend().supports_defer:
        deliver_update.using(run_after=again).enqueue(recipient.update_id)
    return MessageState.FAILED


def deliver(update_id: int) -> dict[str, int]:
    """Send every message of the update that is due now; counts by outcome."""
    now = clock.now()
    counts: dict[str, int] = {}
    ids = list(
        UpdateRecipient.objects.filter(_claimable(now), update_id=update_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for rid in ids:
        state = send_one(rid)
        if state:
            counts[state] = counts.get(state, 0) + 1
    return counts


@task()
def deliver_update(update_id: int) -> int:
    """The task the send step queues on commit: send the update's due messages. Returns how
    many the mail server accepted."""
    return deliver(update_id).get(MessageState.SENT, 0)


def stale_claims(now: datetime | None = None) -> Q:
    """Claims with no outcome for longer than ``CLAIM_STALE``: unknown, never resent alone."""
    return Q(state=MessageState.CLAIMED, claimed_at__lt=(now or clock.now()) - CLAIM_STALE)


def run() -> dict[str, int]:
    """The periodic job (``traction remind``): send what is due (queued messages nobody
    took, failures whose next attempt has come); count the unknown ones."""
    now = clock.now()
    updates = sorted(
        set(UpdateRecipient.objects.filter(_claimable(now)).values_list("update_id", flat=True))
    )
    totals = {"sent": 0, "failed": 0, "undeliverable": 0, "skipped": 0}
    for update_id in updates:
        for state, n in deliver(update_id).items():
            totals[state] = totals.get(state, 0) + n
    totals["unknown"] = UpdateRecipient.objects.filter(stale_claims(now)).count()
    return totals


# --- members' actions on delivery ------------------------------------------------------------


@transaction.atomic
def retry_failed_now(viewer: Viewer, update: Update) -> int:
    """Make the update's failed messages due now (the caller checked ``loop.mail``), and
    queue their sending once this commits. Returns how many."""
    from traction.core import permissions

    permissions.check(viewer, "loop.mail", update)
    n = UpdateRecipient.objects.filter(update=update, state=MessageState.FAILED).update(
        next_attempt_at=clock.now()
    )
    if n:
        audit.record(viewer, action="loop.messages_retried", obj=update, changes={"count": n})
        transaction.on_commit(lambda: deliver_update.enqueue(update.pk))
    return n


@transaction.atomic
def resend(viewer: Viewer, recipient: UpdateRecipient) -> UpdateRecipient:
    """Send a message again whose outcome is unknown (a stale claim) or that was given up:
    the member checked it did not arrive. Audited; sends once this commits."""
    from traction.core import permissions
    from traction.core.errors import ValidationFailed

    permissions.check(viewer, "loop.mail", recipient.update)
    row = UpdateRecipient.objects.select_for_update().get(pk=recipient.pk)
    unknown = (
        row.state == MessageState.CLAIMED
        and row.claimed_at is not None
        and (row.claimed_at < clock.now() - CLAIM_STALE)
    )
    if not (unknown or row.state in (MessageState.UNDELIVERABLE, MessageState.FAILED)):
        raise ValidationFailed.field(
            "recipient", "Only a failed message, or one whose outcome is unknown, is resent."
        )
    if row.bounced_at is not None:
        raise ValidationFailed.field(
            "recipient",
            "This address bounced: fix the contact's email (or mark it reachable) first.",
        )
    was = row.state
    row.state = MessageState.FAILED
    row.next_attempt_at = clock.now()
    row.last_error = f"Resent by hand (was {was})."
    row.save(update_fields=["state", "next_attempt_at", "last_error"])
    audit.record(
        viewer, action="loop.message_resent", obj=row.update, changes={"recipient": row.pk},
        reason=f"was {was}",
    )  # fmt: skip
    transaction.on_commit(lambda: deliver_update.enqueue(row.update_id))
    return row


__all__ = [
    "CLAIM_STALE",
    "MAX_ATTEMPTS",
    "claim",
    "deliver",
    "deliver_update",
    "delivered_priority_ids",
    "feedback_priority_ids",
    "flag_unreachable",
    "priority_ids",
    "render",
    "resend",
    "retry_delay",
    "retry_failed_now",
    "run",
    "send_one",
    "stale_claims",
    "stop_reason",
]
