"""Who hears what, changed by the people concerned (docs/loop.md, "Who hears what").

- An **unsubscribe** from an email's signed link (recorded as the contact, ``via`` the
  message) or by a member on the contact's behalf (with why). It is a dated record that beats
  raising, voting and following, and nothing later undoes it (only a new explicit follow
  brings one priority back).
- A **follow** of a priority: by the contact in the portal, or by a member on their behalf
  with why, only of a card the contact could already see (``mail_rules.seen_by``: raised by
  them or their organisation, voted on by them, or of a session they took part in), since a
  follow shows the card in their portal and puts them in its audience. Unfollowing ends it
  (kept, dated).
- **Unreachable**: a bounce (from the mail server at sending, or reported later by the mail
  provider through the API, or by a member) flags the contact; nothing is sent to them until
  a member marks them reachable again or fixes their address.
Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from traction.core import audit, clock, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import CustomerPrincipal, Principal, Viewer
from traction.core.text import check_length, require_length
from traction.customers.models import Contact
from traction.insights.models import Insight
from traction.loop import mail_links, mail_selectors, mailer
from traction.loop.mail_rules import hears_as_raiser, seen_by
from traction.loop.models import (
    Follow,
    MessageState,
    Unsubscribe,
    UnsubscribeScope,
    UpdateRecipient,
    UpdateState,
)
from traction.programs.models import Program

# Why a contact unsubscribed, follows or is unreachable, and a bounce's report: the width of
# the columns that keep them (Follow.why, Contact.unreachable_reason).
WHY_MAX = 300


def _as_contact(contact: Contact) -> CustomerPrincipal:
    return CustomerPrincipal(contact_id=contact.pk, workspace_id=contact.workspace_id)


# --- unsubscribing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    """What an unsubscribe link stops, in words for the page that asks to confirm it."""

    recipient: UpdateRecipient
    scope: str
    targets: tuple[int, ...]
    what: str


def read_link(token: str) -> Stop:
    """The message and scope a link names, or NotFound (tampered, or not a sent message).
    A refusal of a well-signed link is audited on its message."""
    try:
        link = mail_links.read_unsubscribe(token)
    except mail_links.BadLink:
        raise NotFound("This link is not valid.") from None
    recipient = (
        UpdateRecipient.objects.select_related("update__program", "update__workspace", "contact")
        .filter(pk=link.recipient_id, update__state=UpdateState.SENT)
        .first()
    )
    if recipient is None or recipient.contact.erased_at is not None:
        # an erased contact hears nothing any more: there is nothing left to stop (an
        # archived one may be restored, so their wish to stop is still recorded)
        raise NotFound("This link is not valid.")
    update = recipient.update
    if link.scope == "program" and link.targets != (update.program_id,):
        raise NotFound("This link is not valid.")
    if link.scope == "priority" and not set(link.targets) <= set(mailer.priority_ids(update)):
        raise NotFound("This link is not valid.")
    what = {
        "priority": "updates about the priorities in the message “{s}”",
        "program": "updates about {p}",
        "all": "all mail from {w}",
    }[link.scope].format(s=update.subject, p=update.program.name, w=update.workspace.name)
    return Stop(recipient, link.scope, link.targets, what)


def _already(contact_id: int, scope: str, program_id: int | None, priority_id: int | None) -> bool:
    found = Unsubscribe.objects.filter(contact_id=contact_id, scope=scope)
    if scope == UnsubscribeScope.PRIORITY:
        return found.filter(priority_id=priority_id or 0).exists()
    if scope == UnsubscribeScope.PROGRAM:
        return found.filter(program_id=program_id or 0).exists()
    return found.exists()


def _record(
    contact: Contact,
    scope: str,
    *,
    program_id: int | None,
    priority_ids: tuple[int, ...],
    via: UpdateRecipient | None,
    by: Viewer | None,
    why: str,
) -> list[Unsubscribe]:
    rows: list[tuple[int | None, int | None]]
    if scope == UnsubscribeScope.PRIORITY:
        rows = [(program_id, pid) for pid in priority_ids]
    elif scope == UnsubscribeScope.PROGRAM:
        rows = [(program_id, None)]
    else:
        rows = [(None, None)]
    made = []
    now = clock.now()
    for program, priority in rows:
        if _already(contact.pk, scope, program, priority):
            continue
        made.append(
            Unsubscribe.objects.create(
                workspace_id=contact.workspace_id,
                contact=contact,
                scope=scope,
                program_id=program,
                priority_id=priority,
                at=now,
                via=via,
                recorded_by_id=by.user_id if by is not None else None,
            )
        )
    if made:
        actor: Principal = by if by is not None else _as_contact(contact)
        audit.record(
            actor,
            action="loop.unsubscribed",
            obj=contact,
            changes={
                "scope": scope,
                "program": program_id,
                "priorities": list(priority_ids),
                "via": via.pk if via else None,
            },
            reason=why,
        )
    return made


@transaction.atomic
def unsubscribe_by_link(token: str, *, one_click: bool = False) -> Stop:
    """Record what a signed link stops (once: a second click records nothing new)."""
    stop = read_link(token)
    recipient = stop.recipient
    _record(
        recipient.contact,
        stop.scope,
        program_id=recipient.update.program_id if stop.scope != "all" else None,
        priority_ids=stop.targets if stop.scope == "priority" else (),
        via=recipient,
        by=None,
        why="one-click unsubscribe (List-Unsubscribe-Post)" if one_click else "unsubscribe link",
    )
    return stop


def refused_link(token: str, where: str) -> None:
    """Audit a link that opened nothing, on its message when it names one we sent."""
    import logging

    from django.core import signing

    for salt in (mail_links.UNSUBSCRIBE_SALT, mail_links.FEEDBACK_SALT):
        try:
            data = signing.loads(token, salt=salt)
            rid = int(data["r"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            rid = 0
        if not rid:
            continue
        found = UpdateRecipient.objects.filter(pk=rid).first()
        if found is not None:
            audit.record_refusal(
                _as_contact(Contact.objects.get(pk=found.contact_id)),
                action="loop.link_refused",
                obj=found.update,
                reason=f"{where}: a link that does not fit its message",
                changes={"recipient": rid},
            )
            return
    logging.getLogger(__name__).warning("Loop: refused a tampered %s link.", where)


@transaction.atomic
def record_unsubscribe(
    viewer: Viewer,
    *,
    contact: Contact,
    scope: str,
    why: str,
    program_id: int | None = None,
    priority_id: int | None = None,
) -> list[Unsubscribe]:
    """A member records that the contact asked to hear no more (of a priority, a program,
    or anything), with why. The caller fetched ``contact`` for the viewer."""
    permissions.check(viewer, "loop.subscriptions", contact)
    errors: dict[str, list[str]] = {}
    why = why.strip()
    if not why:
        errors["why"] = ["Say why (e.g. “asked on the phone on 3 May”)."]
    check_length(errors, "why", why, WHY_MAX)
    if scope not in UnsubscribeScope.values:
        errors["scope"] = ["Pick this priority, this program or all mail."]
    program: Program | None = None
    # Only a program or card the member may see: the contact page names what was stopped
    # (``mail_selectors.unsubscribe_rows``), and an id typed here is not a way to read it.
    if scope == UnsubscribeScope.PROGRAM:
        program = mail_selectors.unsubscribe_programs(viewer).filter(pk=program_id or 0).first()
        if program is None:
            errors["program"] = ["Pick a program you can see."]
    if scope == UnsubscribeScope.PRIORITY:
        card = mail_selectors.unsubscribe_priorities(viewer).filter(pk=priority_id or 0).first()
        if card is None:
            errors["priority"] = ["Pick a priority you can see."]
        else:
            program = Program.objects.get(pk=card.program_id)
    if errors:
        raise ValidationFailed(errors)
    return _record(
        contact,
        scope,
        program_id=program.pk if program is not None else None,
        priority_ids=(int(priority_id),) if scope == UnsubscribeScope.PRIORITY else (),  # type: ignore[arg-type]
        via=None,
        by=viewer,
        why=why,
    )


# --- following ------------------------------------------------------------------------------


def _follow(
    actor: Principal, contact: Contact, priority: Insight, *, by: Viewer | None, why: str
) -> Follow:
    if Insight.objects.filter(pk=priority.pk).filter(hears_as_raiser(contact.pk)).exists():
        # They hear about what they raised without following it: a follow would only add a
        # "Stop following" that stops nothing (after an unsubscribe from it, they may).
        message = (
            "You hear about this already: you raised it."
            if by is None
            else f"{contact.name} hears about this already: they raised it."
        )
        raise ValidationFailed.field("priority_id", message)
    current = Follow.objects.filter(contact=contact, priority=priority, ended_at__isnull=True)
    found = current.first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            follow = Follow.objects.create(
                workspace_id=contact.workspace_id,
                program_id=priority.program_id,
                contact=contact,
                priority=priority,
                since=clock.now(),
                added_by_id=by.user_id if by is not None else None,
                why=why[:300],
            )
    except IntegrityError:  # the same click twice at once
        return current.get()
    audit.record(
        actor, action="loop.followed", obj=contact, changes={"priority": priority.pk}, reason=why
    )
    return follow


def _unfollow(actor: Principal, contact: Contact, priority: Insight) -> int:
    ended = Follow.objects.filter(contact=contact, priority=priority, ended_at__isnull=True).update(
        ended_at=clock.now()
    )
    if ended:
        audit.record(
            actor, action="loop.unfollowed", obj=contact, changes={"priority": priority.pk}
        )
    return ended


@transaction.atomic
def follow_in_portal(principal: CustomerPrincipal, priority: Insight) -> Follow:
    """The contact follows a priority they see in the portal (the caller fetched it through
    ``loop.portal_priority``)."""
    permissions.check(principal, "loop.portal_priority", priority)
    if not Insight.objects.filter(pk=priority.pk).filter(seen_by(principal.contact_id)).exists():
        raise NotFound("Priority not found.")
    contact = Contact.objects.get(pk=principal.contact_id)
    return _follow(principal, contact, priority, by=None, why="asked in the portal")


@transaction.atomic
def unfollow_in_portal(principal: CustomerPrincipal, priority: Insight) -> int:
    permissions.check(principal, "loop.portal_priority", priority)
    return _unfollow(principal, Contact.objects.get(pk=principal.contact_id), priority)


@transaction.atomic
def add_follower(viewer: Viewer, *, contact: Contact, priority_id: int, why: str) -> Follow:
    """A member adds the contact as a follower of a priority on their behalf, with why."""
    permissions.check(viewer, "loop.subscriptions", contact)
    errors: dict[str, list[str]] = {}
    if not why.strip():
        errors["why"] = ["Say why (e.g. “asked in the steering meeting”)."]
    check_length(errors, "why", why.strip(), WHY_MAX)
    card = (
        permissions.scope(viewer, "insight.view", Insight.objects.all())
        .filter(pk=priority_id, internal=False)
        .first()
    )
    if card is None:
        errors["priority_id"] = ["Pick a priority you can see."]
    elif not Insight.objects.filter(pk=card.pk).filter(seen_by(contact.pk)).exists():
        errors["priority_id"] = [
            f"{contact.name} has not seen this priority: a contact follows only cards they "
            "or their organisation raised, cards they voted on, or cards of a session they "
            "took part in."
        ]
    if errors:
        raise ValidationFailed(errors)
    assert card is not None
    return _follow(viewer, contact, card, by=viewer, why=why.strip())


@transaction.atomic
def remove_follower(viewer: Viewer, *, contact: Contact, priority_id: int) -> int:
    permissions.check(viewer, "loop.subscriptions", contact)
    card = Insight.objects.filter(pk=priority_id, workspace_id=viewer.workspace_id).first()
    if card is None:
        raise NotFound("Priority not found.")
    return _unfollow(viewer, contact, card)


# --- reachable or not ---------------------------------------------------------------------


@transaction.atomic
def mark_unreachable(viewer: Viewer, *, contact: Contact, reason: str) -> Contact:
    permissions.check(viewer, "loop.subscriptions", contact)
    if not reason.strip():
        raise ValidationFailed.field("reason", "Say why (e.g. “mail bounced: mailbox full”).")
    require_length("reason", reason.strip(), WHY_MAX)
    mailer.flag_unreachable(viewer, contact.pk, reason.strip())
    contact.refresh_from_db()
    return contact


@transaction.atomic
def mark_reachable(viewer: Viewer, *, contact: Contact) -> Contact:
    """The address works again (someone checked, or fixed it): mail may go to them."""
    permissions.check(viewer, "loop.subscriptions", contact)
    if Contact.objects.filter(pk=contact.pk, unreachable_at__isnull=False).update(
        unreachable_at=None, unreachable_reason=""
    ):
        audit.record(viewer, action="contact.reachable", obj=contact)
    contact.refresh_from_db()
    return contact


@dataclass(frozen=True)
class Bounce:
    messages: list[UpdateRecipient]
    flagged: list[int]  # contact ids newly flagged unreachable


@transaction.atomic
def record_bounce(viewer: Viewer, *, message_id: str = "", email: str = "", reason: str) -> Bounce:
    """A bounce reported after sending (a mail provider's webhook, or by hand): the message
    (by its Message-ID) or every message sent to the address becomes bounced, and its
    contacts are flagged unreachable. NotFound when nothing in the workspace matches."""
    permissions.check(viewer, "loop.bounce")
    message_id, email = message_id.strip(), email.strip().lower()
    if not message_id and not email:
        raise ValidationFailed.field("message_id", "Give the message's Message-ID or the address.")
    if not reason.strip():
        raise ValidationFailed.field("reason", "Say what the mail provider reported.")
    require_length("reason", reason.strip(), WHY_MAX)
    mine = UpdateRecipient.objects.filter(workspace_id=viewer.workspace_id)
    if message_id:
        bare = message_id.strip("<>")
        found = list(mine.filter(Q(message_id=message_id) | Q(message_id=f"<{bare}>")))
    else:
        found = list(mine.filter(email__iexact=email, state=MessageState.SENT))
    contacts = {r.contact_id for r in found}
    if email and not message_id:
        contacts |= set(
            Contact.objects.filter(
                workspace_id=viewer.workspace_id, email__iexact=email
            ).values_list("pk", flat=True)
        )
    if not contacts:
        raise NotFound("No message or contact of this workspace matches.")
    now = clock.now()
    for r in found:
        UpdateRecipient.objects.filter(pk=r.pk).update(
            state=MessageState.BOUNCED, bounced_at=now, last_error=f"Bounced: {reason}"[:500]
        )
        audit.record(
            viewer, action="loop.message_bounced", obj=r.update, reason=reason,
            changes={"recipient": r.pk},
        )  # fmt: skip
    flagged = [
        cid
        for cid in sorted(contacts)
        if mailer.flag_unreachable(viewer, cid, f"Bounced: {reason}")
    ]
    for r in found:
        r.refresh_from_db()
    return Bounce(found, flagged)
