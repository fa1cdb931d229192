"""API operations for members: send, list and revoke a contact's portal links. The portal
itself is HTML only: customers get no API token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from traction.core.api import Pagination, responses, viewer
from traction.customers import selectors as customer_selectors

from . import behalf, selectors, services
from .schemas import BehalfEntryOut, PortalLinkOut, WithdrawIn, WithdrawOut

router = Router(tags=["portal"])


@router.get(
    "/contacts/{contact_id}/portal-links",
    response=responses({200: list[PortalLinkOut]}, object_path=True),
    operation_id="list_portal_links",
    summary="List a contact's portal links, newest first",
)
@paginate(Pagination)
def list_portal_links(request: HttpRequest, contact_id: int) -> Any:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id)
    return selectors.links_of(v, contact)


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


# --- what members entered on a contact's behalf (behalf.py) ----------------------------------


@router.get(
    "/contacts/{contact_id}/on-behalf",
    response=responses({200: list[BehalfEntryOut]}, object_path=True),
    operation_id="list_on_behalf_entries",
    summary="What members entered on a contact's behalf (paper dots, words), withdrawn or not",
)
@paginate(Pagination)
def list_on_behalf_entries(request: HttpRequest, contact_id: int) -> list[behalf.Entry]:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id, action="behalf.view")
    return behalf.of_contact(v, contact)


@router.post(
    "/on-behalf/votes/{vote_id}/withdraw",
    response=responses({200: WithdrawOut}, body=True, object_path=True),
    operation_id="withdraw_on_behalf_vote",
    summary="Withdraw dots entered for a contact (a paper round), for them, with why",
)
def withdraw_on_behalf_vote(request: HttpRequest, vote_id: int, payload: WithdrawIn) -> Any:
    """An open round's ranking no longer counts the dots; a closed round's frozen ranking
    still does (`entry.frozen_on`). Withdrawing again answers `changed: false`."""
    return behalf.withdraw_vote(viewer(request), vote_id=vote_id, reason=payload.reason)


@router.post(
    "/on-behalf/insights/{insight_id}/withdraw",
    response=responses({200: WithdrawOut}, body=True, object_path=True),
    operation_id="withdraw_on_behalf_insight",
    summary="Withdraw words entered for a contact (told outside the session), with why",
)
def withdraw_on_behalf_insight(request: HttpRequest, insight_id: int, payload: WithdrawIn) -> Any:
    """The insight's status becomes `withdrawn`: it counts as nobody's input. Withdrawing
    again answers `changed: false`."""
    return behalf.withdraw_insight(viewer(request), insight_id=insight_id, reason=payload.reason)
