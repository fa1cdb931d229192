"""Bounces from the workspace's mail provider (docs/loop.md, "Bounces from your mail
provider"): the inbound hook providers post to (outside any workspace: the secret in its URL
is the credential), and the admins' actions on the workspace settings page (make or rotate
the URL, shown once). Parse, call one service, answer."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from traction.core import audit
from traction.core.permissions import Viewer, public
from traction.core.web import WorkspaceRequest, workspace_view

from . import bounce_parsers
from .services import bounces

log = logging.getLogger(__name__)

# A provider's batch (SendGrid sends up to a few hundred events) fits well under this.
MAX_BODY = 1024 * 1024


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@public("Mail providers cannot send our token: the secret in the URL is the credential.")
@csrf_exempt  # providers post without a cookie; nothing here reads the session
@require_POST
def hook(request: HttpRequest, provider: str, secret: str) -> HttpResponse:
    box = bounces.inbox_for(secret)
    if box is None or provider not in bounce_parsers.PROVIDERS:
        return _plain("No such bounce URL. Copy it again from the workspace settings.", 404)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return _plain(f"The body is larger than {MAX_BODY // 1024} KB; send smaller batches.", 413)
    body = request.body
    if len(body) > MAX_BODY:
        return _plain(f"The body is larger than {MAX_BODY // 1024} KB; send smaller batches.", 413)
    try:
        parsed = bounce_parsers.parse(provider, body)
    except bounce_parsers.Malformed as exc:
        log.info("bounce hook of workspace %s (%s): %s", box.workspace_id, provider, exc)
        return _plain(f"Malformed {provider} payload: {exc}", 400)
    with audit.channel("system"):
        outcome = bounces.receive(box, provider, parsed)
    return JsonResponse(
        {
            "status": outcome.status,
            "recorded": outcome.recorded,
            "flagged_contacts": len(outcome.flagged),
            "ignored": outcome.ignored,
        }
    )


@workspace_view
@require_POST
def rotate(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """Make (or rotate) the bounce URL and show it this once."""
    had = bounces.inbox(viewer) is not None
    box, secret = bounces.rotate(viewer)
    return render(
        request, "loop/bounces/url.html",
        {"box": box, "urls": bounces.urls(secret), "rotated": had},
    )  # fmt: skip
