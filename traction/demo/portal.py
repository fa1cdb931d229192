"""The demo's customer portal: a link for the pilot contact of Juniper & Finch Architects
(they took part in the held session, said things and voted), printed by ``traction demo``."""

from __future__ import annotations

from traction.portal import services

from .common import Demo, contact_of


def add_portal_link(demo: Demo) -> None:
    contact = contact_of(demo, "Juniper & Finch Architects", 0)
    demo.portal_url = services.issue_link_for_demo(contact)
    demo.portal_contact = f"{contact.name} ({contact.customer.name})"
