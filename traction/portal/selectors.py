"""Reads for the portal (a portal principal) and for members' views of portal links. Every
read goes through the policy (``portal/rules.py``): no view filters on its own."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.db.models import QuerySet

from traction.core import permissions
from traction.core.permissions import CustomerPrincipal, Viewer
from traction.customers.models import Contact
from traction.insights.models import Insight
from traction.sessions import customer_pages
from traction.sessions.models import Invitation, Session
from traction.voting import links as vote_links

from .models import PortalLink


def sessions(principal: CustomerPrincipal) -> QuerySet[Session]:
    return permissions.scope(principal, "portal.session", Session.objects.all()).order_by(
        "-starts_at", "-pk"
    )


def session(principal: CustomerPrincipal, session_id: int) -> Session:
    return permissions.get(principal, "portal.session", Session.objects.all(), pk=session_id)


def contributions(principal: CustomerPrincipal) -> QuerySet[Insight]:
    return (
        permissions.scope(principal, "portal.contribution", Insight.objects.all())
        .select_related("session", "speaker_contact")
        .order_by("-session__starts_at", "session_id", "created_at", "pk")
    )


def session_line(s: Session) -> dict[str, Any]:
    """A session as the portal shows it: title, and its time in the session's own zone."""
    return {
        "id": s.pk,
        "title": s.title,
        "when": customer_pages.span(s.local_start, s.local_end),
        "zone": s.time_zone,
    }


def contribution_groups(principal: CustomerPrincipal, session_id: int | None = None) -> list[Any]:
    """What they told us, grouped by session: [{"session": line, "items": [...]}]. Each item
    says whether the contact said it themselves ("You") or a colleague did (by name)."""
    rows = contributions(principal)
    if session_id is not None:
        rows = rows.filter(session_id=session_id)
    groups = []
    for _sid, grouped in groupby(rows, key=lambda i: i.session_id):
        items = list(grouped)
        groups.append(
            {
                "session": session_line(items[0].session),
                "items": [
                    {
                        "text": i.text,
                        "kind": i.get_kind_display(),
                        "said_by": "You"
                        if i.speaker_contact_id == principal.contact_id
                        else i.speaker_contact.name,  # type: ignore[union-attr]
                        "mine": i.speaker_contact_id == principal.contact_id,
                    }
                    for i in items
                ],
            }
        )
    return groups


def open_votes(principal: CustomerPrincipal) -> list[dict[str, Any]]:
    rows = (
        permissions.scope(principal, "portal.vote", Invitation.objects.all())
        .select_related("session")
        .order_by("-session__starts_at")
    )
    return [
        {
            "session": session_line(inv.session),
            "url": vote_links.url_for(inv.pk, principal.contact_id),
        }
        for inv in rows
    ]


def contact_name(principal: CustomerPrincipal) -> str:
    name = Contact.objects.filter(pk=principal.contact_id).values_list("name", flat=True).first()
    return name or ""


def workspace_name(principal: CustomerPrincipal) -> str:
    from traction.accounts.models import Workspace

    return Workspace.objects.filter(pk=principal.workspace_id).values_list("name", flat=True)[0]


# --- the built-in panels of the portal's home ("portal-home", core.sections) ---------------


def sessions_panel(principal: CustomerPrincipal, _obj: Any) -> dict[str, Any]:
    return {"sessions": [session_line(s) for s in sessions(principal)]}


def contributions_panel(principal: CustomerPrincipal, _obj: Any) -> dict[str, Any]:
    return {"groups": contribution_groups(principal)}


def votes_panel(principal: CustomerPrincipal, _obj: Any) -> dict[str, Any]:
    return {"votes": open_votes(principal)}


# --- members ------------------------------------------------------------------------------


def links_of(viewer: Viewer, contact: Contact) -> QuerySet[PortalLink]:
    return (
        permissions.scope(viewer, "portal_link.view", PortalLink.objects.all())
        .filter(contact_id=contact.pk)
        .select_related("created_by", "revoked_by")
    )


def link(viewer: Viewer, link_id: int, action: str = "portal_link.view") -> PortalLink:
    return permissions.get(viewer, action, PortalLink.objects.select_related("contact"), pk=link_id)


def contact_section(viewer: Viewer, contact: Contact) -> dict[str, Any]:
    """The contact page's "Customer portal" section."""
    from traction.core import clock
    from traction.customers import reach

    now = clock.now()
    return {
        "contact": contact,
        "links": [(link, link.state(now)) for link in links_of(viewer, contact)],
        "can_send": permissions.can(viewer, "portal_link.send", contact),
        # why no link can be emailed now ("" when one can): the same check as sending's
        "not_mailed": reach.why_not_mail(contact),
        "can_revoke": permissions.can(viewer, "portal_link.revoke"),
    }
