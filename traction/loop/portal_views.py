"""The customer's side of updates, outside any workspace (like the portal and the RSVP): the
signed links of an update's email (unsubscribe, one-click unsubscribe, "did it work for
you?") and the portal's update page (read, reply, answer) and follow buttons.

An email's link is its own credential: a page that GETs never records anything (mail
scanners open links), a POST records. Only the one-click unsubscribe URL is exempt from
CSRF (RFC 8058: the mail client POSTs ``List-Unsubscribe=One-Click`` with no cookie); it
carries the same signed token. A link that does not verify, or names a message it does not
fit, answers a plain "not valid" page (404), audited on its message when it names one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import CustomerPrincipal, public
from traction.portal import selectors as portal_selectors
from traction.portal import services as portal_services
from traction.portal.views import portal_page

from . import mail_selectors
from .mail_forms import FeedbackForm, PortalFeedbackForm, ReplyForm
from .services import responses, subscriptions

NO_STORE = "private, no-store"


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "same-origin"  # the token never leaves in a Referer
    response["X-Robots-Tag"] = "noindex"
    return response


def _brand(name: str) -> dict[str, str]:
    return {"name": name, "logo_url": ""}


def _invalid(request: HttpRequest, token: str, where: str) -> HttpResponse:
    subscriptions.refused_link(token, where)
    return _render(request, "loop/public/invalid.html", {"brand": _brand("Updates")}, status=404)


def _apply(form: Any, exc: ValidationFailed) -> None:
    for field, errors in exc.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


# --- the email's links -----------------------------------------------------------------------


@public("The signed unsubscribe link is the credential; GET only shows what would stop.")
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        stop = (
            subscriptions.unsubscribe_by_link(token)
            if request.method == "POST"
            else subscriptions.read_link(token)
        )
    except NotFound:
        return _invalid(request, token, "unsubscribe")
    return _render(
        request,
        "loop/public/unsubscribe.html",
        {
            "brand": _brand(stop.recipient.update.workspace.name),
            "stop": stop,
            "done": request.method == "POST",
            "token": token,
        },
    )


@public("RFC 8058 one-click unsubscribe: the signed link is the credential.")
@csrf_exempt  # only this URL: mail clients POST here without a cookie (RFC 8058)
@require_POST
def unsubscribe_one_click(request: HttpRequest, token: str) -> HttpResponse:
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponseBadRequest(
            "Send List-Unsubscribe=One-Click, or open the link in a browser.",
            content_type="text/plain",
        )
    try:
        subscriptions.unsubscribe_by_link(token, one_click=True)
    except NotFound:
        subscriptions.refused_link(token, "one-click unsubscribe")
        return HttpResponse("This link is not valid.", status=404, content_type="text/plain")
    return HttpResponse("Unsubscribed.", content_type="text/plain")


@public("The signed feedback link is the credential; GET never records an answer.")
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    try:
        recipient, priority = responses.read_feedback_link(token)
    except NotFound:
        return _invalid(request, token, "feedback")
    answer = request.GET.get("answer", "")
    form = FeedbackForm(
        request.POST if request.method == "POST" else None,
        initial={"answer": answer if answer in ("yes", "partly", "no") else None},
    )
    done = False
    if request.method == "POST" and form.is_valid():
        try:
            responses.give_feedback(
                responses.principal_of(recipient),
                recipient,
                priority_id=priority.pk,
                answer=form.cleaned_data["answer"],
                comment=form.cleaned_data["comment"],
            )
            done = True
        except ValidationFailed as exc:
            _apply(form, exc)
    return _render(
        request,
        "loop/public/feedback.html",
        {
            "brand": _brand(recipient.update.workspace.name),
            "priority": priority,
            "update": recipient.update,
            "form": form,
            "done": done,
        },
        status=422 if request.method == "POST" and not done else 200,
    )


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
        "loop/portal/update.html",
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
@require_GET
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
            return redirect(reverse("loop_public:portal_update", args=[update_id]) + "?sent=reply")
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
            return redirect(
                reverse("loop_public:portal_update", args=[update_id]) + "?sent=feedback"
            )
    return _update_page(request, principal, recipient, feedback_form=form, status=422)


def _follow(
    request: HttpRequest, principal: CustomerPrincipal, priority_id: int, on: bool
) -> HttpResponse:
    try:
        card = mail_selectors.portal_priority(principal, priority_id)
    except NotFound:
        return _not_found(request, principal, f"follow priority {priority_id}")
    if on:
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
