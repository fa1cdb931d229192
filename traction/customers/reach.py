"""May the workspace email this contact at all? The one check every email to a customer
contact goes through (docs/loop.md, "Who hears what"): invitations and their updates,
re-sends and cancellations, voting links, portal links a member sends, and updates.

Two things stop all mail from the workspace to a contact, whatever the email is about:

- the contact is **unreachable** (mail to them bounced, or a member marked them so) until a
  member marks them reachable again: a fact of the contact, read here;
- an **unsubscribe from all mail** (scope "all", from an email's link or recorded by a member
  on the contact's behalf): closing the loop keeps unsubscribes, so it registers that check
  here (``register``, from its ``AppConfig.ready``), as the apps below it may not import it.
  The narrower scopes (a program, some priorities) apply to updates only, which check them
  themselves (``loop.mailer.stop_reason``).

The reason is a phrase for a "skipped" list or a refusal: "unsubscribed from all mail on
6 Dec 2026". Each mailer adds its own conditions (consent, an address, the invitation's
answer) around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from traction.core import dates

from .models import Contact

# Checks registered by the apps above: contacts -> {contact id: why no mail may go to it}.
Stopper = Callable[[list[Contact]], dict[int, str]]
_stoppers: list[Stopper] = []


def register(stopper: Stopper) -> None:
    """Adds a check that may stop all mail to some contacts (once per check)."""
    if stopper not in _stoppers:
        _stoppers.append(stopper)


def day(at: datetime) -> str:
    """ "6 Dec 2026"."""
    return dates.short(at)


def _unreachable(contact: Contact) -> str:
    assert contact.unreachable_at is not None
    why = f" ({contact.unreachable_reason})" if contact.unreachable_reason else ""
    return f"unreachable since {day(contact.unreachable_at)}{why}"


def why_not_mail_many(contacts: Iterable[Contact]) -> dict[int, str]:
    """Why no email may go to each of these contacts now, for those who may not be emailed
    only (contact id -> reason): one query per registered check, whatever the number."""
    contacts = list(contacts)
    found = {c.pk: _unreachable(c) for c in contacts if c.unreachable_at is not None}
    rest = [c for c in contacts if c.pk not in found]
    for stopper in _stoppers:
        if not rest:
            break
        for contact_id, reason in stopper(rest).items():
            found.setdefault(contact_id, reason)
        rest = [c for c in rest if c.pk not in found]
    return found


def why_not_mail(contact: Contact) -> str:
    """Why no email may go to this contact now ("" when one may)."""
    return why_not_mail_many([contact]).get(contact.pk, "")


def may_mail(contact: Contact) -> bool:
    return not why_not_mail(contact)
