"""Web pages: sending the invitations, one approved contact at a time or all who are
waiting."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from traction.core.errors import DomainError
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, workspace_view
from traction.sessions import selectors, services

from .common import R, S, error_line, to_detail


@workspace_view
@require_POST
def invitation_send(request: WorkspaceRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    outreach = selectors.outreach_request(viewer, request_id, action="invitation.send")
    try:
        services.send_invitation(viewer, request=outreach)
    except DomainError as exc:  # OutreachRequired, ValidationFailed
        messages.error(request, error_line(exc))
    else:
        messages.success(
            request, f"{outreach.contact.name} was invited; the email has a calendar file."
        )
    return to_detail(request, outreach.session_id)


@workspace_view
@require_POST
def invitations_send_all(
    request: WorkspaceRequest, viewer: Viewer, session_id: int
) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="invitation.send")
    try:
        sent = services.send_invitations(viewer, session=session)
    except DomainError as exc:
        messages.error(request, error_line(exc))
    else:
        if sent:
            names = ", ".join(i.contact.name for i in sent)
            messages.success(request, f"Invited: {names}.")
        else:
            messages.info(request, "Nobody to invite: no approved contact is waiting.")
    return to_detail(request, session.pk)


@workspace_view
@require_POST
def invitation_resend(request: WorkspaceRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    """ "Send again" for an invitation whose email was not delivered (R: its outreach id)."""
    outreach = selectors.outreach_request(viewer, request_id, action="invitation.send")
    invitation = selectors.invitation_of(outreach)
    try:
        services.resend_invitation(viewer, invitation=invitation)
    except DomainError as exc:
        messages.error(request, error_line(exc))
    else:
        messages.success(request, f"The invitation to {outreach.contact.name} was sent again.")
    return to_detail(request, outreach.session_id)


urlpatterns: list[URLPattern] = [
    path(S + "invitations/send/", invitations_send_all, name="invitations_send_all"),
    path(R + "invite/", invitation_send, name="invitation_send"),
    path(R + "invite/again/", invitation_resend, name="invitation_resend"),
]
