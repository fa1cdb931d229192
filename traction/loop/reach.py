"""Closing the loop's part of "may the workspace email this contact at all?"
(``customers.reach``, which every mailer asks): an unsubscribe from all mail stops every
email to the contact. Registered in ``registrations.register_all``."""

from __future__ import annotations

from traction.customers.models import Contact
from traction.customers.reach import day

from .models import Unsubscribe, UnsubscribeScope


def unsubscribed_from_all(contacts: list[Contact]) -> dict[int, str]:
    """Contact id -> "unsubscribed from all mail on 6 Dec 2026" (the first such
    unsubscribe), for those of ``contacts`` who have one (one query)."""
    found: dict[int, str] = {}
    rows = (
        Unsubscribe.objects.filter(
            contact_id__in=[c.pk for c in contacts], scope=UnsubscribeScope.ALL
        )
        .order_by("at", "id")
        .values_list("contact_id", "at")
    )
    for contact_id, at in rows:
        found.setdefault(contact_id, f"unsubscribed from all mail on {day(at)}")
    return found
