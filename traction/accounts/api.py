"""API operations for the viewer, members, invitations and the audit trail."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from traction.core.api import ErrorOut, Pagination, responses, viewer
from traction.core.models import AuditEvent

from . import selectors, services
from .models import MemberInvitation, Membership
from .schemas import (
    AuditEventOut,
    AuditFilters,
    InvitationCreatedOut,
    InvitationCreateIn,
    InvitationOut,
    MemberFilters,
    MemberOut,
    MemberUpdateIn,
    MeOut,
)

router = Router(tags=["workspace"])


@router.get("/me", response=responses({200: MeOut}), operation_id="me", summary="Who am I")
def me(request: HttpRequest) -> dict[str, Any]:
    """The token's user, its workspace and the user's role there."""
    v = viewer(request)
    return {"user": v.user, "workspace": selectors.workspace(v), "role": v.role}


# --- members --------------------------------------------------------------------------------


@router.get(
    "/members",
    response=responses({200: list[MemberOut]}),
    operation_id="list_members",
    summary="List the workspace's members",
)
@paginate(Pagination)
def list_members(request: HttpRequest, filters: Query[MemberFilters]) -> QuerySet[Membership]:
    return selectors.members(viewer(request), **filters.model_dump())


@router.get(
    "/members/{membership_id}",
    response=responses({200: MemberOut}, object_path=True),
    operation_id="get_member",
    summary="Get a member",
)
def get_member(request: HttpRequest, membership_id: int) -> Membership:
    return selectors.member(viewer(request), membership_id)


@router.patch(
    "/members/{membership_id}",
    response=responses({200: MemberOut}, body=True, object_path=True, versioned=True),
    operation_id="update_member",
    summary="Change a member's role or function",
)
def update_member(request: HttpRequest, membership_id: int, payload: MemberUpdateIn) -> Membership:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    membership = selectors.member(v, membership_id, action="member.manage")
    expected = changes.get("version")
    if "role" in changes:
        membership = services.change_member_role(
            v, membership=membership, role=changes["role"], expected_version=expected
        )
        # The function change builds on the role change: a write in between is a conflict.
        expected = membership.version if expected is not None else None
    if "function" in changes:
        membership = services.set_member_function(
            v, membership=membership, function=changes["function"], expected_version=expected
        )
    return membership


@router.delete(
    "/members/{membership_id}",
    response=responses({204: None}, object_path=True),
    operation_id="remove_member",
    summary="Remove a member (their API tokens stop working)",
)
def remove_member(request: HttpRequest, membership_id: int) -> Status[None]:
    v = viewer(request)
    membership = selectors.member(v, membership_id, action="member.manage")
    services.remove_member(v, membership=membership)
    return Status(204, None)


# --- invitations ----------------------------------------------------------------------------


@router.get(
    "/invitations",
    response=responses({200: list[InvitationOut]}),
    operation_id="list_invitations",
    summary="List pending invitations",
)
@paginate(Pagination)
def list_invitations(request: HttpRequest) -> QuerySet[MemberInvitation]:
    return selectors.invitations(viewer(request)).order_by("-created_at", "-id")


@router.post(
    "/invitations",
    response=responses({201: InvitationCreatedOut, 409: ErrorOut}, body=True),
    operation_id="create_invitation",
    summary="Invite someone by email with a role",
)
def create_invitation(request: HttpRequest, payload: InvitationCreateIn) -> Status[dict[str, Any]]:
    """Emails the invitee a one-time link, returned here too (and never again)."""
    invitation, link = services.invite_member(viewer(request), **payload.model_dump())
    return Status(
        201, {**InvitationOut.model_validate(invitation).model_dump(), "accept_url": link}
    )


@router.post(
    "/invitations/{invitation_id}/revoke",
    response=responses({200: InvitationOut}, object_path=True),
    operation_id="revoke_invitation",
    summary="Revoke a pending invitation",
)
def revoke_invitation(request: HttpRequest, invitation_id: int) -> MemberInvitation:
    v = viewer(request)
    invitation = selectors.invitation(v, invitation_id)
    return services.revoke_invitation(v, invitation=invitation)


# --- audit trail ----------------------------------------------------------------------------


@router.get(
    "/audit-events",
    response=responses({200: list[AuditEventOut]}),
    operation_id="list_audit_events",
    summary="Read the audit trail (admins)",
)
@paginate(Pagination)
def list_audit_events(request: HttpRequest, filters: Query[AuditFilters]) -> QuerySet[AuditEvent]:
    """Newest first: who did what, when, through which channel, and why."""
    return selectors.audit_events(viewer(request), **filters.model_dump())
