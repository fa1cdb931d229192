"""The customer's RSVP: the public page where a customer contact answers their invitation
through a signed personal link, with the session's calendar file and the inviting
workspace's logo behind the same link. Its routes are outside the workspace, so they are
not in the sessions URLconf: ``traction/urls.py`` routes ``rsvp/<token>/…`` here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from traction.accounts import logos
from traction.accounts import selectors as accounts_selectors
from traction.core.errors import NotFound, ValidationFailed
from traction.core.web import apply_domain_errors
from traction.sessions import customer_pages, selectors, services
from traction.sessions import rsvp as rsvp_tokens
from traction.sessions.calendar import build_ics
from traction.sessions.emails import organizer
from traction.sessions.forms import RsvpForm
from traction.sessions.models import Invitation, RsvpStatus


def _invalid_link(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return render(request, "sessions/rsvp_invalid.html", {"message": exc.message}, status=404)


def _page(
    request: HttpRequest, token: str, invitation: Invitation, **context: object
) -> dict[str, object]:
    session = invitation.session
    return {
        "invitation": invitation,
        "session": session,
        "token": token,
        "brand": customer_pages.brand(session, logo_url_name="rsvp_logo", token=token),
        "times": customer_pages.times(session, request),
        # Who invites them and what the session will go through, as the invitation says.
        "organizer_name": organizer(session)[0],
        "agenda": list(session.agenda.all()),
        **context,
    }


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
        _page(request, token, invitation, form=form, answered=answered),
    )


# What a downloaded calendar file says of the customer's answer (asked to confirm a new
# time, or not answered yet: NEEDS-ACTION, as in the invitation).
_PARTSTAT: dict[str, str] = {RsvpStatus.ACCEPTED: "ACCEPTED", RsvpStatus.DECLINED: "DECLINED"}


@require_GET
def rsvp_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """ "Add to calendar": the session's .ics for this invitation (the same event, UID and
    sequence as the emailed one, so a calendar keeps one entry; a cancellation removes it)."""
    try:
        customer = rsvp_tokens.RSVP.principal(token)
        invitation = selectors.customer_invitation(customer)
    except NotFound as exc:
        return _invalid_link(request, exc)
    session = invitation.session
    organizer_name, organizer_email = organizer(session)
    ics = build_ics(
        session,
        method="CANCEL" if session.is_cancelled else "REQUEST",
        attendees=[invitation.contact],
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        answered=_PARTSTAT.get(invitation.rsvp, "NEEDS-ACTION"),
    )
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="session.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def rsvp_logo(request: HttpRequest, token: str) -> HttpResponse:
    """The logo of the workspace that sent this invitation, and of no other."""
    try:
        customer = rsvp_tokens.RSVP.principal(token)
        invitation = selectors.customer_invitation(customer)
    except NotFound as exc:
        return HttpResponse(exc.message, status=404, content_type="text/plain; charset=utf-8")
    return logos.response(
        accounts_selectors.logo_of(invitation.workspace_id), version=request.GET.get("v", "")
    )
