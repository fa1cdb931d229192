"""The portal's pages of updates (a contact signed in to the portal): an update sent to them
(opening it marks it read), their reply (a new insight waiting for review), "did it work
for you?" for its delivered priorities, and following a priority from "Your priorities".
Reads and writes go through the loop's selectors and services with the portal principal
(``loop.portal_*`` rules); anything not theirs answers 404 and is audited."""

from __future__ import annotations

import contextlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import CustomerPrincipal
from traction.loop import mail_selectors
from traction.loop.mail_forms import PortalFeedbackForm, ReplyForm
from traction.loop.services import responses, subscriptions

from . import selectors as portal_selectors
from . import services as portal_services
from .views import portal_page

NO_STORE = "private, no-store"


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "same-origin"
    return response


def _brand(name: str) -> dict[str, str]:
    return {"name": name, "logo_url": ""}


def _apply(form: Any, exc: ValidationFailed) -> None:
    for field, errors in exc.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


# --- the portal --------------------------------------------------------------------------


def _not_found(request: HttpRequest, principal: CustomerPrincipal, what: str) -> HttpResponse:
    portal_services.denied(principal, what)
    brand = _brand(portal_selectors.workspace_name(principal))
    return _render(request, "portal/not_found.html", {"brand": brand}, status=404)


def _update_page(
    request: HttpRequest,
    principal: CustomerPrincipal,
    recipient: Any,
    *,
    reply_form: ReplyForm | None = None,
    feedback_form: PortalFeedbackForm | None = None,
    status: int = 200,
) -> HttpResponse:
    answers = mail_selectors.feedback_of(recipient)
    asked = [
        {"priority": p, "answer": answers[p.pk].answer if p.pk in answers else ""}
        for p in responses.feedback_priorities(recipient)
    ]
    return _render(
        request,
        "portal/update.html",
        {
            "brand": _brand(portal_selectors.workspace_name(principal)),
            "update": recipient.update,
            "replies": list(mail_selectors.replies_of(recipient)),
            "asked": asked,
            "reply_form": reply_form or ReplyForm(),
            "feedback_form": feedback_form,
            "sent": request.GET.get("sent", ""),
        },
        status=status,
    )


@portal_page
@require_safe
def portal_update(
    request: HttpRequest, principal: CustomerPrincipal, update_id: int
) -> HttpResponse:
    try:
        recipient = mail_selectors.portal_message(principal, update_id)
    except NotFound:
        return _not_found(request, principal, f"update {update_id}")
    responses.mark_read(principal, recipient)
    return _update_page(request, principal, recipient)


@portal_page
@require_POST
def portal_reply(
    request: HttpRequest, principal: CustomerPrincipal, update_id: int
) -> HttpResponse:
    try:
        recipient = mail_selectors.portal_message(principal, update_id)
    except NotFound:
        return _not_found(request, principal, f"reply to update {update_id}")
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            responses.reply(principal, recipient, form.cleaned_data["text"])
        except ValidationFailed as exc:
            _apply(form, exc)
        else:
            return redirect(reverse("portal:update", args=[update_id]) + "?sent=reply")
    return _update_page(request, principal, recipient, reply_form=form, status=422)


@portal_page
@require_POST
def portal_feedback(
    request: HttpRequest, principal: CustomerPrincipal, update_id: int
) -> HttpResponse:
    try:
        recipient = mail_selectors.portal_message(principal, update_id)
    except NotFound:
        return _not_found(request, principal, f"feedback on update {update_id}")
    form = PortalFeedbackForm(request.POST)
    if form.is_valid():
        try:
            responses.give_feedback(
                principal,
                recipient,
                priority_id=form.cleaned_data["priority"],
                answer=form.cleaned_data["answer"],
                comment=form.cleaned_data["comment"],
            )
        except NotFound:
            return _not_found(request, principal, f"feedback on update {update_id}")
        except ValidationFailed as exc:
            _apply(form, exc)
        else:
            return redirect(reverse("portal:update", args=[update_id]) + "?sent=feedback")
    return _update_page(request, principal, recipient, feedback_form=form, status=422)


def _follow(
    request: HttpRequest, principal: CustomerPrincipal, priority_id: int, on: bool
) -> HttpResponse:
    try:
        card = mail_selectors.portal_priority(principal, priority_id)
    except NotFound:
        return _not_found(request, principal, f"follow priority {priority_id}")
    if on:
        # A card they raised: nothing is stored; the page says they hear about it.
        with contextlib.suppress(ValidationFailed):
            subscriptions.follow_in_portal(principal, card)
    else:
        subscriptions.unfollow_in_portal(principal, card)
    return redirect(reverse("portal:home") + "#portal-priorities")


@portal_page
@require_POST
def portal_follow(
    request: HttpRequest, principal: CustomerPrincipal, priority_id: int
) -> HttpResponse:
    return _follow(request, principal, priority_id, True)


@portal_page
@require_POST
def portal_unfollow(
    request: HttpRequest, principal: CustomerPrincipal, priority_id: int
) -> HttpResponse:
    return _follow(request, principal, priority_id, False)
