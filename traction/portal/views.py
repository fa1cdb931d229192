"""The customer portal's pages (a contact signed in with a magic link) and the members'
actions on a contact's portal links.

The portal session is a signed cookie of its own (``traction_portal``) holding the id of the
link it was opened with; it is not the members' login session, so a member's sign-in never
opens the portal and a portal session never opens a member's page. Each portal request
re-reads the link (``services.resume``): an expired or revoked link ends the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from traction.core import sections
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import CustomerPrincipal, Viewer, public
from traction.core.proxies import client_address
from traction.core.web import WorkspaceRequest, error_text, workspace_view
from traction.customers import selectors as customer_selectors

from . import behalf, panels, selectors, services
from .forms import LinkRequestForm, WithdrawForm

COOKIE = "traction_portal"
SALT = "traction.portal.session"
NO_STORE = "private, no-store"


def _brand(name: str) -> dict[str, str]:
    return {"name": name, "logo_url": ""}


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "same-origin"  # the token never leaves in a Referer
    return response


def _forget(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(COOKIE, samesite="Lax")
    return response


def _signed_in(request: HttpRequest) -> CustomerPrincipal | services.Refused | None:
    raw = request.get_signed_cookie(COOKIE, default=None, salt=SALT)
    found = services.read_session_cookie(raw)
    if found is None:
        if COOKIE in request.COOKIES:  # present but not ours: tampered with, or forged
            services.refused_cookie(client_address(request))
        return None
    try:
        return services.resume(*found)
    except services.Refused as exc:
        return None if exc.reason == "signed_out" else exc  # signed out: sign in again
    except NotFound:
        return None


def portal_page(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """A page for a contact signed in to the portal: the view receives the principal.
    Without a portal session: the sign-in page; when the session's link expired or was
    revoked since: the "link expired" page (the session ends)."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = _signed_in(request)
        if found is None:
            return _forget(redirect("portal:sign_in"))
        if isinstance(found, services.Refused):
            return _forget(_expired(request, found, status=410))
        return view(request, found, *args, **kwargs)

    def out_of_range(request: HttpRequest, kwargs: dict[str, object]) -> HttpResponse:
        """An id in the URL past any row (answered before the view runs): the portal's own
        "not found" page, audited like any other id that is not theirs."""
        found = _signed_in(request)
        if found is None:
            return _forget(redirect("portal:sign_in"))
        if isinstance(found, services.Refused):
            return _forget(_expired(request, found, status=410))
        ids = ", ".join(f"{key} {value}"[:40] for key, value in kwargs.items())
        services.denied(found, f"{view.__name__}: {ids} (past any row)")
        brand = _brand(selectors.workspace_name(found))
        return _render(request, "portal/not_found.html", {"brand": brand}, status=404)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    wrapper.out_of_range = out_of_range  # type: ignore[attr-defined]  # read by core's guard
    return wrapper


def _expired(request: HttpRequest, refused: services.Refused, status: int) -> HttpResponse:
    return _render(
        request,
        "portal/link_expired.html",
        {
            "brand": _brand("Customer portal"),
            "reason": refused.reason,
            "form": LinkRequestForm(),
        },
        status=status,
    )


@public("The magic link is the credential: it is checked, audited, and signs in or refuses.")
@require_safe
def open_link(request: HttpRequest, portal_token: str) -> HttpResponse:
    try:
        principal = services.open_link(portal_token)
    except services.Refused as exc:
        return _forget(_expired(request, exc, status=404 if exc.reason == "tampered" else 410))
    response = redirect("portal:home")
    response.set_signed_cookie(
        COOKIE,
        services.session_cookie(principal.portal_link_id),
        salt=SALT,
        max_age=settings.TRACTION_PORTAL_LINK_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    response["Referrer-Policy"] = "same-origin"
    return response


@portal_page
@require_safe
def home(request: HttpRequest, principal: CustomerPrincipal) -> HttpResponse:
    return _render(
        request,
        "portal/home.html",
        {
            "brand": _brand(selectors.workspace_name(principal)),
            "name": selectors.contact_name(principal),
            "panels": sections.for_page(panels.PAGE, principal, None),
        },
    )


@portal_page
@require_safe
def session_detail(
    request: HttpRequest, principal: CustomerPrincipal, session_id: int
) -> HttpResponse:
    brand = _brand(selectors.workspace_name(principal))
    try:
        session = selectors.session(principal, session_id)
    except NotFound:
        services.denied(principal, f"session {session_id}")
        return _render(request, "portal/not_found.html", {"brand": brand}, status=404)
    groups = selectors.contribution_groups(principal, session_id=session.pk)
    return _render(
        request,
        "portal/session.html",
        {
            "brand": brand,
            "session": selectors.session_line(session),
            "items": groups[0]["items"] if groups else [],
        },
    )


def _withdraw_page(
    request: HttpRequest, principal: CustomerPrincipal, kind: str, entry_id: int
) -> HttpResponse:
    """One entry made for the contact: what it is, who entered it, when and why, and a
    confirmation before withdrawing it (POST). Anything not theirs answers 404, audited."""
    brand = _brand(selectors.workspace_name(principal))
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    try:
        entry = behalf.entry_of(principal, kind, entry_id)
    except NotFound:
        services.denied(principal, f"withdraw {kind} {entry_id}")
        return _render(request, "portal/not_found.html", {"brand": brand}, status=404)
    if request.method == "POST" and form.is_valid():
        outcome = behalf.withdraw(principal, kind, entry_id, reason=form.cleaned_data["reason"])
        return redirect(request.path + ("?done=1" if outcome.changed else "?again=1"))
    return _render(
        request,
        "portal/withdraw.html",
        {"brand": brand, "entry": entry, "form": form, "done": request.GET.get("done") == "1"},
        status=422 if form.errors else 200,
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw_vote(request: HttpRequest, principal: CustomerPrincipal, vote_id: int) -> HttpResponse:
    return _withdraw_page(request, principal, behalf.VOTE, vote_id)


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw_insight(
    request: HttpRequest, principal: CustomerPrincipal, insight_id: int
) -> HttpResponse:
    return _withdraw_page(request, principal, behalf.INSIGHT, insight_id)


@portal_page
@require_POST
def sign_out(request: HttpRequest, principal: CustomerPrincipal) -> HttpResponse:
    services.signed_out(principal)
    return _forget(redirect("portal:signed_out"))


@public("The portal's sign-in page: it says nothing about who is a contact.")
@require_safe
def signed_out(request: HttpRequest) -> HttpResponse:
    return _render(request, "portal/signed_out.html", {"brand": _brand("Customer portal")})


@public("Anyone may ask for a link; the answer is the same whoever asks, and rate-limited.")
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = LinkRequestForm(request.POST if request.method == "POST" else None)
    sent = False
    if request.method == "POST" and form.is_valid():
        services.request_link(form.cleaned_data["email"], client_address(request))
        sent = True
    return _render(
        request,
        "portal/sign_in.html",
        {"brand": _brand("Customer portal"), "form": form, "sent": sent},
    )


# --- members ------------------------------------------------------------------------------


def _back(request: WorkspaceRequest, contact_id: int) -> HttpResponse:
    return redirect(
        "customers:contact_edit", workspace_slug=request.workspace.slug, contact_id=contact_id
    )


@workspace_view
@require_POST
def send_link(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    contact = customer_selectors.contact(viewer, contact_id, action="portal_link.send")
    try:
        services.send_link(viewer, contact=contact)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"A portal link was emailed to {contact.name}.")
    return _back(request, contact.pk)


@workspace_view
@require_POST
def revoke_link(request: WorkspaceRequest, viewer: Viewer, link_id: int) -> HttpResponse:
    link = selectors.link(viewer, link_id, action="portal_link.revoke")
    services.revoke_link(viewer, link=link)
    messages.success(request, "The portal link was revoked; it no longer opens the portal.")
    return _back(request, link.contact_id)


def _withdraw_for_contact(
    request: WorkspaceRequest, viewer: Viewer, kind: str, entry_id: int
) -> HttpResponse:
    """An admin or facilitator withdraws, for the contact, what was entered on their behalf
    (with why); back to the contact's page."""
    entry = behalf.entry_of(viewer, kind, entry_id)  # NotFound: 404, PermissionDenied: 403
    try:
        outcome = behalf.withdraw(viewer, kind, entry_id, reason=request.POST.get("reason", ""))
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        (messages.success if outcome.changed else messages.info)(request, outcome.message)
    return _back(request, entry.contact_id)


@workspace_view
@require_POST
def withdraw_vote_for_contact(
    request: WorkspaceRequest, viewer: Viewer, vote_id: int
) -> HttpResponse:
    return _withdraw_for_contact(request, viewer, behalf.VOTE, vote_id)


@workspace_view
@require_POST
def withdraw_insight_for_contact(
    request: WorkspaceRequest, viewer: Viewer, insight_id: int
) -> HttpResponse:
    return _withdraw_for_contact(request, viewer, behalf.INSIGHT, insight_id)
