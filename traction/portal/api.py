"""API operations for members: send, list and revoke a contact's portal links. The portal
itself is HTML only: customers get no API token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from traction.core.api import responses, viewer
from traction.customers import selectors as customer_selectors

from . import selectors, services
from .schemas import PortalLinkOut

router = Router(tags=["portal"])


@router.get(
    "/contacts/{contact_id}/portal-links",
    response=responses({200: list[PortalLinkOut]}, object_path=True),
    operation_id="list_portal_links",
    summary="List a contact's portal links",
)
def list_portal_links(request: HttpRequest, contact_id: int) -> list[Any]:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id)
    return list(selectors.links_of(v, contact))


@router.post(
    "/contacts/{contact_id}/portal-links",
    response=responses({201: PortalLinkOut}, object_path=True),
    operation_id="send_portal_link",
    summary="Email a contact a new portal link (the link itself is never returned)",
)
def send_portal_link(request: HttpRequest, contact_id: int) -> Status[Any]:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id, action="portal_link.send")
    return Status(201, services.send_link(v, contact=contact))


@router.post(
    "/portal-links/{link_id}/revoke",
    response=responses({200: PortalLinkOut}, object_path=True),
    operation_id="revoke_portal_link",
    summary="Revoke a portal link (the portal sessions opened with it end)",
)
def revoke_portal_link(request: HttpRequest, link_id: int) -> Any:
    v = viewer(request)
    link = selectors.link(v, link_id, action="portal_link.revoke")
    return services.revoke_link(v, link=link)
