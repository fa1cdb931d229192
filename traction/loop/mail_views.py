"""Members' actions on delivery and on what a contact hears: retry an update's failed
messages, resend one whose outcome is unknown, and, on a contact's page, record an
unsubscribe or a follow on their behalf, or mark them unreachable or reachable again.
Parse, call one service, go back where the form was (``next``, same site only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, error_text, workspace_view
from traction.customers import selectors as customer_selectors
from traction.customers.models import Contact

from . import mail_selectors, mailer
from .mail_forms import FollowForm, UnreachableForm, UnsubscribeForm
from .services import subscriptions


def _back(request: WorkspaceRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def _contact_page(request: WorkspaceRequest, contact_id: int) -> HttpResponse:
    return redirect(
        "customers:contact_edit", workspace_slug=request.workspace.slug, contact_id=contact_id
    )


@workspace_view
@require_POST
def retry_failed(request: WorkspaceRequest, viewer: Viewer, update_id: int) -> HttpResponse:
    update = mail_selectors.update_for_mail(viewer, update_id)
    n = mailer.retry_failed_now(viewer, update)
    if n:
        messages.success(request, f"Trying {n} failed message{'s' if n != 1 else ''} again now.")
    else:
        messages.info(request, "No failed message to retry.")
    return _back(request, request.path)


@workspace_view
@require_POST
def resend(request: WorkspaceRequest, viewer: Viewer, recipient_id: int) -> HttpResponse:
    recipient = mail_selectors.recipient_for_mail(viewer, recipient_id)
    try:
        mailer.resend(viewer, recipient)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"The message to {recipient.name} is being sent again.")
    return _back(request, request.path)


def _errors(request: WorkspaceRequest, form_errors: dict[str, list[str]]) -> None:
    for field, errs in form_errors.items():
        for e in errs:
            label = field.removesuffix("_id").replace("_", " ").capitalize()
            messages.error(request, f"{label}: {e}")


Act = Callable[[Contact, dict[str, Any]], str]


def _on_contact(
    request: WorkspaceRequest,
    viewer: Viewer,
    contact_id: int,
    act: Act,
    form_class: type[forms.Form] | None = None,
) -> HttpResponse:
    """A member's action on what a contact hears, from the contact's page: fetch the contact
    through ``loop.subscriptions``, read the form (its errors shown as messages), call the
    service (``act`` returns the success message; a refusal is shown as messages), and go
    back to the contact's page."""
    contact = customer_selectors.contact(viewer, contact_id, action="loop.subscriptions")
    data: dict[str, Any] = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            _errors(request, {k: [str(e) for e in v] for k, v in form.errors.items()})
            return _contact_page(request, contact.pk)
        data = form.cleaned_data
    try:
        done = act(contact, data)
    except ValidationFailed as exc:
        _errors(request, exc.errors)
    else:
        messages.success(request, done)
    return _contact_page(request, contact.pk)


@workspace_view
@require_POST
def contact_unsubscribe(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    def act(contact: Contact, data: dict[str, Any]) -> str:
        made = subscriptions.record_unsubscribe(
            viewer,
            contact=contact,
            scope=data["scope"],
            why=data["why"],
            program_id=data["program"],
            priority_id=data["priority"],
        )
        if made:
            return f"Recorded: {contact.name} hears no more of it."
        return "That unsubscribe was recorded already."

    return _on_contact(request, viewer, contact_id, act, UnsubscribeForm)


@workspace_view
@require_POST
def contact_follow(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    def act(contact: Contact, data: dict[str, Any]) -> str:
        subscriptions.add_follower(
            viewer, contact=contact, priority_id=data["priority"], why=data["why"]
        )
        return f"{contact.name} now follows that priority."

    return _on_contact(request, viewer, contact_id, act, FollowForm)


@workspace_view
@require_POST
def contact_unfollow(
    request: WorkspaceRequest, viewer: Viewer, contact_id: int, priority_id: int
) -> HttpResponse:
    def act(contact: Contact, _data: dict[str, Any]) -> str:
        subscriptions.remove_follower(viewer, contact=contact, priority_id=priority_id)
        return f"{contact.name} no longer follows that priority."

    return _on_contact(request, viewer, contact_id, act)


@workspace_view
@require_POST
def contact_unreachable(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    def act(contact: Contact, data: dict[str, Any]) -> str:
        subscriptions.mark_unreachable(viewer, contact=contact, reason=data["reason"])
        return f"{contact.name} is marked unreachable: no mail goes to them."

    return _on_contact(request, viewer, contact_id, act, UnreachableForm)


@workspace_view
@require_POST
def contact_reachable(request: WorkspaceRequest, viewer: Viewer, contact_id: int) -> HttpResponse:
    def act(contact: Contact, _data: dict[str, Any]) -> str:
        subscriptions.mark_reachable(viewer, contact=contact)
        return f"{contact.name} is reachable again."

    return _on_contact(request, viewer, contact_id, act)
