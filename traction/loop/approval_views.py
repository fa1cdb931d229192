"""What the pages of both kinds of approval share (a status's, ``views``; an update's,
``update_views``): **Send again** (the request to the account owner, once it was given up)
and the page of the signed link in the approval email (GET shows what is approved, a POST
approves: two steps, so a mail scanner opening the link approves nothing). Each kind's view
parses its own route and hands its selector, service and template to these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from traction.core.errors import NotFound, ValidationFailed
from traction.core.web import error_text

from . import approval_links
from .models import Approval
from .services import approvals


def send_again(
    request: HttpRequest,
    found: Approval,
    resend: Callable[[], object],
    back: HttpResponse,
) -> HttpResponse:
    """Call ``resend`` (the kind's ``send_request_again``), say what happened, go ``back``."""
    try:
        resend()
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        owner = found.account_owner
        who = (owner.full_name or owner.email) if owner else "the account owner"
        messages.success(request, f"Sending the approval email to {who} again.")
    return back


def link_page(
    request: HttpRequest,
    *,
    workspace_slug: str,
    token: str,
    kind: str,
    template: str,
    approve: Callable[[str], Approval],
    refused: Callable[[str, str], None],
    context: Callable[[Approval], dict[str, Any]],
    request_changes: Callable[[str, str], Approval] | None = None,
) -> HttpResponse:
    """The signed link's page: refused (and audited, ``refused``) when the token is tampered
    (404), expired, superseded or moved (410), used by someone else signed in (403) or of
    another workspace (404); otherwise what is approved, and on POST the approval itself
    (``approve``; 409 with the reason when it no longer may be given) or, where the kind
    offers it (``request_changes``) and the POST says ``decision=changes``, the owner's
    request for changes with its reason (an empty reason: 422, beside the field)."""
    spec = approval_links.KINDS[kind]
    error = ""
    reason_error = ""
    reason = ""
    approved = False
    changes_asked = False

    def refuse(why: str, status: int) -> HttpResponse:
        refused(token, why)
        return _private(render(request, template, {"error": why}, status=status))

    try:
        found, owner = approval_links.open_link(token, kind)
    except NotFound as exc:
        return refuse(str(exc) or spec.invalid, 404)
    except ValidationFailed as exc:
        return refuse(error_text(exc), 410)
    try:  # an owner removed from the workspace (or deactivated) sees nothing of it
        approvals.owner_viewer(found, owner)
    except NotFound as exc:
        return refuse(str(exc), 410)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.pk != owner:
        # Signed in as someone else: the link is the account owner's, not theirs to use.
        return refuse("This approval link belongs to another person. Sign out to use it.", 403)
    if found.program.workspace.slug != workspace_slug:
        return refuse(spec.invalid, 404)
    asking = request_changes is not None and request.POST.get("decision") == "changes"
    if request.method == "POST" and asking:
        assert request_changes is not None
        reason = request.POST.get("reason", "")
        try:
            request_changes(token, reason)
        except ValidationFailed as exc:
            if "reason" in exc.errors:
                reason_error = " ".join(exc.errors["reason"])
            else:
                error = error_text(exc)
                refused(token, error)
        except NotFound as exc:
            error = str(exc)
            refused(token, error)
        else:
            changes_asked = True
            found.refresh_from_db()
    elif request.method == "POST":
        try:
            approve(token)
        except (ValidationFailed, NotFound) as exc:
            error = error_text(exc) if isinstance(exc, ValidationFailed) else str(exc)
            refused(token, error)
        else:
            approved = True
            found.refresh_from_db()
    elif found.state != "pending":
        error = f"This approval was already given ({found.get_state_display()})."
    page = render(
        request,
        template,
        {
            "approval": found,
            **context(found),
            "error": error,
            "approved": approved,
            "changes_asked": changes_asked,
            "may_ask_changes": request_changes is not None,
            "reason": reason,
            "reason_error": reason_error,
            "token": token,
            "workspace_slug": workspace_slug,
        },
        status=409 if error and request.method == "POST" else 422 if reason_error else 200,
    )
    return _private(page)


def _private(response: HttpResponse) -> HttpResponse:
    """The text, the recipients' names and addresses: never kept by a browser or a proxy."""
    response["Cache-Control"] = "private, no-store"
    return response


__all__ = ["link_page", "send_again"]
