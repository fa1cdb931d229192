"""The invitation email's page: its opening words for this session, and a preview of the
email (text and HTML) as a sample invitee would receive it, before anyone is invited."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods

from traction.core.errors import Conflict, ValidationFailed
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, workspace_view
from traction.sessions import invitation_email, selectors, services
from traction.sessions.emails import organizer
from traction.sessions.forms import InvitationOpeningForm
from traction.sessions.models import Session

from .common import RELOAD, S, to_detail

# Where each invitee's own answer link goes in the preview.
SAMPLE_LINK_PATH = "/rsvp/the-invitees-personal-link/"


def _preview(request: WorkspaceRequest, session: Session) -> invitation_email.Rendered:
    organizer_name, organizer_email = organizer(session)
    digest = invitation_email.logo_digest(session)
    logo_url = (
        f"{reverse('accounts:workspace_logo', args=[request.workspace.slug])}?v={digest}"
        if digest
        else ""
    )
    return invitation_email.render(
        session,
        kind="invite",
        recipient=invitation_email.SAMPLE,
        organizer_name=organizer_name,
        organizer_email=organizer_email,
        rsvp_link=settings.TRACTION_SITE_URL.rstrip("/") + SAMPLE_LINK_PATH,
        logo_url=logo_url,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def invitation_email_page(
    request: WorkspaceRequest, viewer: Viewer, session_id: int
) -> HttpResponse:
    """GET: the opening and the preview. POST "preview": the preview with the typed opening,
    nothing saved. POST "save": store the opening (audited)."""
    session = selectors.session(viewer, session_id, action="invitation.send")
    organizer_name = organizer(session)[0]
    if request.method != "POST":
        form = InvitationOpeningForm(
            initial={
                "opening": session.invitation_opening
                or invitation_email.standard_opening(session, organizer_name),
                "version": session.version,
            }
        )
        return _render(request, session, form)
    form = InvitationOpeningForm(request.POST)
    if not form.is_valid():
        return _render(request, session, form)
    if "save" in request.POST:
        try:
            services.set_invitation_opening(
                viewer,
                session=session,
                text=form.cleaned_data["opening"],
                version=form.cleaned_data["version"],
            )
        except Conflict as exc:
            form.add_error(None, exc.message + RELOAD)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "The opening is saved: invitations sent from now on use it.")
            return to_detail(request, session.pk)
        return _render(request, session, form)
    # "Preview": show the typed words without saving them.
    try:
        session.invitation_opening = invitation_email.clean_opening(form.cleaned_data["opening"])
    except ValidationFailed as exc:
        apply_domain_errors(form, exc)
    return _render(request, session, form, previewing=True)


def _render(
    request: WorkspaceRequest,
    session: Session,
    form: InvitationOpeningForm,
    *,
    previewing: bool = False,
) -> HttpResponse:
    return render(
        request,
        "sessions/invitation_email.html",
        {
            "session": session,
            "form": form,
            "preview": _preview(request, session),
            "previewing": previewing,
            "sample": invitation_email.SAMPLE,
        },
    )


urlpatterns: list[URLPattern] = [
    path(S + "invitation-email/", invitation_email_page, name="invitation_email"),
]
