"""Bounces from the workspace's mail provider (docs/loop.md, "Bounces from your mail
provider"): the inbound hook providers post to (outside any workspace: the secret in its URL
opens it, the provider's signature or basic auth proves the post), and the admins' actions on
the workspace settings page (make or rotate the URL, shown once; set, replace or remove a
provider's key). Parse, check, call one service, answer."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from traction.core import audit
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer, public
from traction.core.web import WorkspaceRequest, apply_domain_errors, render_page, workspace_view

from . import bounce_parsers
from .bounce_forms import FORMS
from .bounce_signatures import Refused
from .models import BounceProvider
from .services import bounces

log = logging.getLogger(__name__)

# A provider's batch (SendGrid sends up to a few hundred events) fits well under this.
MAX_BODY = 1024 * 1024


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def _refused(box_workspace: int, provider: str, exc: Refused) -> HttpResponse:
    log.warning("bounce hook of workspace %s (%s) refused: %s", box_workspace, provider, exc)
    if exc.challenge:
        response = _plain(f"Refused: {exc.reason}", 401)
        response["WWW-Authenticate"] = 'Basic realm="Traction bounces", charset="UTF-8"'
        return response
    return _plain(f"Refused: {exc.reason}", 403)


@public(
    "Mail providers cannot send our token: the secret in the URL opens it; the provider's "
    "signature (or basic auth) proves the post."
)
@csrf_exempt  # providers post without a cookie; nothing here reads the session
def hook(request: HttpRequest, provider: str, secret: str) -> HttpResponse:
    if request.method != "POST":  # a plain-text reason, like every answer of the hook
        response = _plain("Only POST: a mail provider posts its events here.", 405)
        response["Allow"] = "POST"
        return response
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
    try:
        nonce = bounces.check(box, provider, body, request.headers)
        with audit.channel("system"):
            bounces.check_topic(box, provider, parsed)
            outcome = bounces.receive(box, provider, parsed, nonce=nonce)
    except Refused as exc:
        return _refused(box.workspace_id, provider, exc)
    return JsonResponse(
        {
            "status": outcome.status,
            "recorded": outcome.recorded,
            "flagged_contacts": len(outcome.flagged),
            "ignored": outcome.ignored,
            "duplicates": outcome.duplicates,
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


@workspace_view
@require_POST
def reset_topic(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """Forget the Amazon SNS topic the bounce URL is pinned to (moving to another topic)."""
    if bounces.reset_topic(viewer) is not None:
        messages.success(
            request,
            "Amazon SNS topic forgotten: the next signed confirmation or notification pins "
            "its topic.",
        )
    return _settings(request)


def _settings(request: WorkspaceRequest) -> HttpResponse:
    return redirect("accounts:workspace_settings", workspace_slug=request.workspace.slug)


@workspace_view
def key(request: WorkspaceRequest, viewer: Viewer, provider: str) -> HttpResponse:
    """Set or replace what a provider must prove its posts with (the form; never the key)."""
    form_class = FORMS.get(provider)
    if form_class is None:
        raise Http404("No key for this provider.")
    current = bounces.key(viewer, provider)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bounces.set_key(viewer, provider, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            label = bounces.KEY_ACTIONS[provider]
            messages.success(
                request,
                f"{label} {'replaced' if current else 'set'}: posts from "
                f"{BounceProvider(provider).label} without it are now refused.",
            )
            return _settings(request)
    status = 422 if request.method == "POST" else 200
    return render_page(
        request, "loop/bounces/key.html",
        {"form": form, "provider": provider, "label": bounces.KEY_ACTIONS[provider],
         "current": current},
        partial="key-form", status=status,
    )  # fmt: skip


@workspace_view
@require_POST
def key_remove(request: WorkspaceRequest, viewer: Viewer, provider: str) -> HttpResponse:
    if provider not in FORMS:
        raise Http404("No key for this provider.")
    if bounces.remove_key(viewer, provider):
        messages.success(
            request,
            f"{bounces.KEY_ACTIONS[provider]} removed: the bounce URL alone lets posts in again.",
        )
    else:
        messages.info(request, "No key was set.")
    return _settings(request)
