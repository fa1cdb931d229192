"""Reads for delivery, subscriptions and the portal's loop panels. Every read goes through the
policy with the principal it is given (``loop/mail_rules.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from traction.core import clock, permissions
from traction.core.permissions import CustomerPrincipal, Viewer
from traction.customers.models import Contact
from traction.insights.models import Insight, not_withdrawn
from traction.programs.models import Program
from traction.voting.models import Vote

from . import audience, mail_rules, mailer
from .models import (
    Feedback,
    Follow,
    MessageState,
    PriorityStatus,
    Reply,
    Status,
    Unsubscribe,
    Update,
    UpdateRecipient,
    UpdateState,
)

# --- members: an update's delivery ----------------------------------------------------------


def update_for_mail(viewer: Viewer, update_id: int) -> Update:
    return permissions.get(
        viewer, "loop.mail", Update.objects.select_related("program"), pk=update_id
    )


def recipient_for_mail(viewer: Viewer, recipient_id: int) -> UpdateRecipient:
    found = (
        UpdateRecipient.objects.filter(pk=recipient_id, workspace_id=viewer.workspace_id)
        .select_related("update")
        .first()
    )
    if found is None:
        from traction.core.errors import NotFound

        raise NotFound("Message not found.")
    update_for_mail(viewer, found.update_id)  # fetching is checking
    return found


@dataclass(frozen=True)
class MessageRow:
    recipient: UpdateRecipient
    label: str  # the outcome in words
    unknown: bool  # claimed, no outcome for a while: check before resending
    resendable: bool


def message_rows(update: Update, now: datetime | None = None) -> list[MessageRow]:
    now = now or clock.now()
    rows = []
    for r in UpdateRecipient.objects.filter(update=update).select_related("customer"):
        unknown = (
            r.state == MessageState.CLAIMED
            and r.claimed_at is not None
            and r.claimed_at < now - mailer.CLAIM_STALE
        )
        label = "Unknown: check before resending" if unknown else MessageState(r.state).label
        resendable = r.bounced_at is None and (
            unknown or r.state in (MessageState.FAILED, MessageState.UNDELIVERABLE)
        )
        rows.append(MessageRow(r, label, unknown, resendable))
    return rows


def delivery_section(viewer: Viewer, update: Update) -> dict[str, Any]:
    """The "Delivery" section of an update's page (``sections`` page "loop-update")."""
    if update.state != UpdateState.SENT or not permissions.can(viewer, "loop.mail", update):
        return {"update": update, "shown": False}
    rows = message_rows(update)
    counts: dict[str, int] = {}
    for row in rows:
        key = "unknown" if row.unknown else row.recipient.state
        counts[key] = counts.get(key, 0) + 1
    return {
        "update": update,
        "shown": True,
        "rows": rows,
        "counts": counts,
        "failed": counts.get(MessageState.FAILED, 0),
        "replies": Reply.objects.filter(recipient__update=update).count(),
        "feedback": Feedback.objects.filter(recipient__update=update).count(),
    }


# --- members: a contact's subscriptions -----------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    priority: Insight
    whys: list[audience.Why]
    stopped_at: datetime | None  # a priority-scoped unsubscribe beats it


def contact_priority_ids(contact_id: int) -> set[int]:
    said = Insight.objects.filter(
        not_withdrawn(), speaker_contact_id=contact_id, internal=False
    ).values_list("pk", "merged_into_id")
    ids = {merged or pk for pk, merged in said}
    ids |= set(
        Vote.objects.filter(contact_id=contact_id, dots__gt=0).values_list("insight_id", flat=True)
    )
    ids |= set(
        Follow.objects.filter(contact_id=contact_id, ended_at__isnull=True).values_list(
            "priority_id", flat=True
        )
    )
    return ids


def subscriptions(viewer: Viewer, contact: Contact) -> list[Subscription]:
    """What the contact hears about and why (raiser, voter, follower, since when): the cards
    the viewer may see."""
    permissions.check(viewer, "loop.subscriptions", contact)
    ids = contact_priority_ids(contact.pk)
    whys = audience.subscribers(ids).get(contact.pk, [])
    cards = {
        c.pk: c
        for c in permissions.scope(viewer, "insight.view", Insight.objects.all()).filter(pk__in=ids)
    }
    stopped = dict(
        Unsubscribe.objects.filter(contact=contact, scope="priority").values_list(
            "priority_id", "at"
        )
    )
    by_card: dict[int, list[audience.Why]] = {}
    for w in whys:
        if w.priority_id in cards:
            by_card.setdefault(w.priority_id, []).append(w)
    return [
        Subscription(cards[pid], sorted(ws, key=lambda w: w.since), stopped.get(pid))
        for pid, ws in sorted(by_card.items(), key=lambda kv: min(w.since for w in kv[1]))
    ]


def unsubscribes(viewer: Viewer, contact: Contact) -> QuerySet[Unsubscribe]:
    permissions.check(viewer, "loop.subscriptions", contact)
    return Unsubscribe.objects.filter(contact=contact).select_related(
        "program", "priority", "recorded_by"
    )


def unsubscribe_programs(viewer: Viewer) -> QuerySet[Program]:
    """The programs a member may stop a contact hearing of, and read the name of on the
    contact's unsubscribes (``loop.plan_view``: theirs, and those their customers took part
    in)."""
    return permissions.scope(
        viewer, "loop.plan_view", Program.objects.filter(workspace_id=viewer.workspace_id)
    )


def unsubscribe_priorities(viewer: Viewer) -> QuerySet[Insight]:
    """The cards a member may stop a contact hearing of, and read on the contact's
    unsubscribes: customer cards they may see (``insight.view``), as for a follow."""
    return permissions.scope(viewer, "insight.view", Insight.objects.all()).filter(
        workspace_id=viewer.workspace_id, internal=False
    )


@dataclass(frozen=True)
class UnsubscribeRow:
    unsubscribe: Unsubscribe
    what: str  # the program's name or the card's text; "" when the viewer may not see it


def unsubscribe_rows(viewer: Viewer, contact: Contact) -> list[UnsubscribeRow]:
    """The contact's unsubscribes as the contact page lists them: a program or card the
    viewer may not see (someone else recorded it) is named by neither name nor text."""
    rows = list(unsubscribes(viewer, contact))
    program_ids = {u.program_id for u in rows if u.scope == "program"}
    priority_ids = {u.priority_id for u in rows if u.scope == "priority"}
    seen_programs = set(
        unsubscribe_programs(viewer).filter(pk__in=program_ids).values_list("pk", flat=True)
    )
    seen_cards = set(
        unsubscribe_priorities(viewer).filter(pk__in=priority_ids).values_list("pk", flat=True)
    )
    shown = []
    for u in rows:
        what = ""
        if u.scope == "program" and u.program_id in seen_programs and u.program is not None:
            what = u.program.name
        elif u.scope == "priority" and u.priority_id in seen_cards and u.priority is not None:
            what = u.priority.text
        shown.append(UnsubscribeRow(u, what))
    return shown


def contact_section(viewer: Viewer, contact: Contact) -> dict[str, Any]:
    """The contact page's "What they hear" section (``sections`` page "contact")."""
    if not permissions.can(viewer, "loop.subscriptions", contact):
        return {"shown": False}
    return {
        "shown": True,
        "contact": contact,
        "subscriptions": subscriptions(viewer, contact),
        "unsubscribes": unsubscribe_rows(viewer, contact),
        "programs": list(unsubscribe_programs(viewer).order_by("name"))
        if permissions.allows(viewer, "loop.plan_view")
        else [],
    }


# --- the portal -------------------------------------------------------------------------


def portal_messages(principal: CustomerPrincipal) -> QuerySet[UpdateRecipient]:
    return (
        permissions.scope(principal, "loop.portal_update", UpdateRecipient.objects.all())
        .select_related("update")
        .order_by("-update__sent_at", "-pk")
    )


def portal_message(principal: CustomerPrincipal, update_id: int) -> UpdateRecipient:
    """The contact's own message of update ``update_id``, or NotFound."""
    return permissions.get(
        principal,
        "loop.portal_update",
        UpdateRecipient.objects.select_related("update__program", "update__workspace"),
        update_id=update_id,
        contact_id=principal.contact_id,
    )


def portal_priority(principal: CustomerPrincipal, priority_id: int) -> Insight:
    return permissions.get(principal, "loop.portal_priority", Insight.objects.all(), pk=priority_id)


def _status_line(s: PriorityStatus) -> dict[str, Any]:
    window = s.window
    return {
        "status": Status(s.status).label,
        "code": s.status,
        "window": window.label if window is not None else "",
        "reason": s.customer_reason,
        "at": s.published_at,
    }


def portal_priorities(principal: CustomerPrincipal) -> list[dict[str, Any]]:
    """The priorities the contact sees: current published status, window, reason, the dated
    history of published statuses, and whether they follow it. Nothing unpublished."""
    cards = list(
        permissions.scope(principal, "loop.portal_priority", Insight.objects.all()).order_by(
            "created_at", "pk"
        )
    )
    ids = [c.pk for c in cards]
    history: dict[int, list[PriorityStatus]] = {}
    for s in PriorityStatus.objects.filter(
        priority_id__in=ids, published_at__isnull=False
    ).order_by("published_at", "pk"):
        history.setdefault(s.priority_id, []).append(s)
    following = set(
        Follow.objects.filter(
            contact_id=principal.contact_id, priority_id__in=ids, ended_at__isnull=True
        ).values_list("priority_id", flat=True)
    )
    # They hear about what they raised themselves (their own words are the card or merged
    # into it): no follow needed.
    raised = set(
        Insight.objects.filter(pk__in=ids)
        .filter(mail_rules.hears_as_raiser(principal.contact_id))
        .values_list("pk", flat=True)
    )
    rows = []
    for card in cards:
        published = history.get(card.pk, [])
        if not published:
            continue
        rows.append(
            {
                "id": card.pk,
                "text": card.text,
                "current": _status_line(published[-1]),
                "history": [_status_line(s) for s in reversed(published)],
                "following": card.pk in following,
                "raised": card.pk in raised,
            }
        )
    return rows


def portal_updates(principal: CustomerPrincipal) -> list[dict[str, Any]]:
    return [
        {
            "id": r.update_id,
            "subject": r.update.subject,
            "sent_at": r.update.sent_at,
            "read": r.read_in_portal_at is not None,
        }
        for r in portal_messages(principal)
    ]


def priorities_panel(principal: CustomerPrincipal, _obj: Any) -> dict[str, Any]:
    return {"priorities": portal_priorities(principal)}


def updates_panel(principal: CustomerPrincipal, _obj: Any) -> dict[str, Any]:
    return {"updates": portal_updates(principal)}


def replies_of(recipient: UpdateRecipient) -> QuerySet[Reply]:
    return Reply.objects.filter(recipient=recipient).order_by("at", "pk")


def feedback_of(recipient: UpdateRecipient) -> dict[int, Feedback]:
    return {f.priority_id: f for f in Feedback.objects.filter(recipient=recipient)}


__all__ = [
    "MessageRow",
    "Q",
    "Subscription",
    "contact_section",
    "delivery_section",
    "message_rows",
    "portal_message",
    "portal_priorities",
    "portal_priority",
    "portal_updates",
    "priorities_panel",
    "recipient_for_mail",
    "subscriptions",
    "unsubscribes",
    "update_for_mail",
    "updates_panel",
]
