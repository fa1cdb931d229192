"""The signed links of an update's email, outside any workspace (like the RSVP): unsubscribe,
one-click unsubscribe and "did it work for you?". (The portal's update page, replies and
follow buttons are the portal's pages: ``traction/portal/loop_views.py``.)

An email's link is its own credential: a page that GETs never records anything (mail
scanners open links), a POST records. Only the one-click unsubscribe URL is exempt from
CSRF (RFC 8058: the mail client POSTs ``List-Unsubscribe=One-Click`` with no cookie); it
carries the same signed token. A link that does not verify, or names a message it does not
fit, answers a plain "not valid" page (404), audited on its message when it names one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import public

from .mail_forms import FeedbackForm
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
@require_http_methods(["GET", "HEAD", "POST"])
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
@require_http_methods(["GET", "HEAD", "POST"])
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
