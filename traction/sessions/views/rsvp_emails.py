"""Web page: the member's own choice of RSVP emails (each answer, a daily digest, none).

It is shown on the member's settings page (``accounts:settings``, as a section); this page
takes the form's answer and shows it again beside its error when the answer is not valid.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods

from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, workspace_view
from traction.sessions.forms import RsvpEmailsForm
from traction.sessions.models import RsvpEmails
from traction.sessions.services import rsvps


def settings_context(viewer: Viewer) -> dict[str, object]:
    """The section on the member's settings page: the form with their current choice."""
    return {"form": RsvpEmailsForm(initial={"rsvp_emails": rsvps.rsvp_emails_for(viewer)})}


@workspace_view
@require_http_methods(["GET", "POST"])
def rsvp_emails(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    current = rsvps.rsvp_emails_for(viewer)
    if request.method != "POST":
        form = RsvpEmailsForm(initial={"rsvp_emails": current})
    else:
        form = RsvpEmailsForm(request.POST)
        if form.is_valid():
            try:
                chosen = rsvps.choose_rsvp_emails(
                    viewer, rsvp_emails=form.cleaned_data["rsvp_emails"]
                )
            except ValidationFailed as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(
                    request, f"RSVP emails: {RsvpEmails(chosen).label.lower()}. Saved."
                )
                return redirect("accounts:settings", workspace_slug=request.workspace.slug)
    return render(
        request,
        "sessions/rsvp_emails.html",
        {"section": {"form": form}},
        status=422 if form.errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("rsvp-emails/", rsvp_emails, name="rsvp_emails"),
]
