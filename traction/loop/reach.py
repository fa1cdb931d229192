"""May the workspace email this contact at all? The one check every email to a customer
contact goes through (docs/loop.md, "Who hears what"): invitations and their updates,
re-sends and cancellations, voting links, portal links a member sends, and updates.

Two things stop all mail from the workspace to a contact, whatever the email is about:

- an **unsubscribe from all mail** (scope "all", from an email's link or recorded by a member
  on the contact's behalf); the narrower scopes (a program, some priorities) apply to updates
  only, which check them themselves (``mailer.stop_reason``);
- the contact is **unreachable** (mail to them bounced, or a member marked them so) until a
  member marks them reachable again.

The reason is a phrase for a "skipped" list or a refusal: "unsubscribed from all mail on
6 Dec 2026". Each mailer adds its own conditions (consent, an address, the invitation's
answer) around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from traction.customers.models import Contact

from .models import Unsubscribe, UnsubscribeScope


def day(at: datetime) -> str:
    """ "6 Dec 2026"."""
    return f"{at.day} {at:%b %Y}"


def _unreachable(contact: Contact) -> str:
    assert contact.unreachable_at is not None
    why = f" ({contact.unreachable_reason})" if contact.unreachable_reason else ""
    return f"unreachable since {day(contact.unreachable_at)}{why}"


def _unsubscribed(at: datetime) -> str:
    return f"unsubscribed from all mail on {day(at)}"


def why_not_mail(contact: Contact) -> str:
    """Why no email may go to this contact now ("" when one may)."""
    if contact.unreachable_at is not None:
        return _unreachable(contact)
    gone = (
        Unsubscribe.objects.filter(contact_id=contact.pk, scope=UnsubscribeScope.ALL)
        .order_by("at", "id")
        .values_list("at", flat=True)
        .first()
    )
    return _unsubscribed(gone) if gone is not None else ""


def may_mail(contact: Contact) -> bool:
    return not why_not_mail(contact)


def why_not_mail_many(contacts: Iterable[Contact]) -> dict[int, str]:
    """``why_not_mail`` for several contacts in one query: contact id → reason, for those
    who may not be emailed only (for pages that list contacts to email)."""
    contacts = list(contacts)
    found: dict[int, str] = {}
    rows = (
        Unsubscribe.objects.filter(
            contact_id__in=[c.pk for c in contacts], scope=UnsubscribeScope.ALL
        )
        .order_by("at", "id")
        .values_list("contact_id", "at")
    )
    for contact_id, at in rows:
        found.setdefault(contact_id, _unsubscribed(at))
    for contact in contacts:
        if contact.unreachable_at is not None:
            found[contact.pk] = _unreachable(contact)
    return found
