"""The customer's RSVP: the public page where a customer contact answers their invitation
through a signed personal link. Its route is outside the workspace, so it is not in the
sessions URLconf: ``traction/urls.py`` routes ``rsvp/<token>/`` here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from traction.core.errors import NotFound, ValidationFailed
from traction.core.web import apply_domain_errors
from traction.sessions import rsvp as rsvp_tokens
from traction.sessions import selectors, services
from traction.sessions.forms import RsvpForm


def _invalid_link(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return render(request, "sessions/rsvp_invalid.html", {"message": exc.message}, status=404)


@require_http_methods(["GET", "POST"])
def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's answer. The signed link makes them a customer principal; the policy
    (``invitation.answer``) decides what it reaches, like any member's request."""
    try:
        customer = rsvp_tokens.RSVP.principal(token)
        invitation = selectors.invitation_for_rsvp(customer)
    except NotFound as exc:
        return _invalid_link(request, exc)
    form = RsvpForm(request.POST if request.method == "POST" else None)
    answered = None
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.respond_rsvp(
                customer,
                accept=form.cleaned_data["answer"] == "accept",
                note=form.cleaned_data["note"],
            )
        except NotFound as exc:
            return _invalid_link(request, exc)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            answered = invitation.get_rsvp_display()
    return render(
        request,
        "sessions/rsvp.html",
        {
            "form": form,
            "invitation": invitation,
            "session": invitation.session,
            "answered": answered,
        },
    )
