"""The demo's customer portal: a link for the pilot contact of Juniper & Finch Architects
(they took part in the held session, said things and voted), printed by ``traction demo``
and by every ``traction run`` (the first start's link, then a fresh one: links expire)."""

from __future__ import annotations

from traction.customers.models import Contact
from traction.portal import services

from .common import Demo, contact_of

PORTAL_CUSTOMER = "Juniper & Finch Architects"


def add_portal_link(demo: Demo) -> None:
    contact = contact_of(demo, PORTAL_CUSTOMER, 0)
    demo.portal_url = services.issue_link_for_demo(contact)
    demo.portal_contact = _label(contact)


def fresh_portal_link(workspace_slug: str) -> tuple[str, str] | None:
    """A new portal link for the demo's pilot contact, as (who, url); None when that contact
    or their customer is gone from the demo workspace (archived, erased or deleted)."""
    contact = (
        Contact.objects.select_related("customer")
        .filter(
            customer__workspace__slug=workspace_slug,
            customer__name=PORTAL_CUSTOMER,
            customer__archived_at__isnull=True,
        )
        .order_by("id")
        .first()
    )
    if contact is None or contact.archived_at is not None or contact.erased_at is not None:
        return None
    return _label(contact), services.issue_link_for_demo(contact)


def _label(contact: Contact) -> str:
    return f"{contact.name} ({contact.customer.name})"
