"""The admin's webhook pages: parse, call one service or selector, render."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts import selectors as accounts_selectors
from traction.core import clock, permissions
from traction.core.errors import Conflict, NotFound, ValidationFailed
from traction.core.guard import whole_numbers
from traction.core.offering import found_again
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    query_without,
    workspace_view,
)
from traction.programs import selectors as program_selectors

from . import crypto, events, selectors, services
from .forms import FIELD_MAP, EndpointForm
from .models import DeliveryStatus, WebhookEndpoint

PAGE_SIZE = 25
ENDPOINTS_PAGE = 25  # endpoints a page of the list (``page``)


def _programs(viewer: Viewer) -> Any:
    return program_selectors.programs(viewer)


TICKED_MAX = 500  # program ids one endpoint form may carry ticked


def _ids(values: list[str]) -> list[int]:
    return whole_numbers(values, most=TICKED_MAX)


def _found_again(request: WorkspaceRequest) -> dict[str, Any]:
    """The endpoint form's answers a "Find a program" reload (a GET) carries back."""
    sent = request.GET
    if request.method != "GET" or "programs_q" not in sent:
        return {}
    names = ("url", "description", "event_scope", "program_scope", "version")
    answers = found_again(sent, names, ids={"programs": TICKED_MAX})
    answers["event_types"] = sent.getlist("event_types")
    answers["active"] = "active" in sent
    return answers


def _to_detail(request: WorkspaceRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    return redirect("webhooks:detail", workspace_slug=request.workspace.slug,
                    endpoint_id=endpoint.pk)  # fmt: skip


def _secret_key(endpoint_id: int) -> str:
    return f"webhooks.secret.{endpoint_id}"


def _to_secret(
    request: WorkspaceRequest, endpoint: WebhookEndpoint, secret: str, *, created: bool
) -> HttpResponse:
    """POST, then redirect, then GET: the new secret waits in the session (encrypted, as the
    endpoint keeps it) for the one page that shows it, so reloading that page neither creates
    an endpoint nor rotates the secret again."""
    request.session[_secret_key(endpoint.pk)] = {
        "secret": crypto.encrypt(secret),
        "created": created,
    }
    return redirect("webhooks:secret", workspace_slug=request.workspace.slug,
                    endpoint_id=endpoint.pk)  # fmt: skip


@workspace_view
@require_GET
def endpoint_list(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """The endpoints (or the archived ones) a page at a time: the page costs the same
    queries however many endpoints there are."""
    archived = request.GET.get("archived") == "1"
    found = selectors.endpoints(viewer, archived=archived)
    page = Paginator(found, ENDPOINTS_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/endpoint_list.html",
        {
            "page": page,
            "endpoints": page.object_list,
            "query": query_without(request, "page"),
            "archived": archived,
            "archived_count": 0 if archived else selectors.archived_count(viewer),
            "can_manage": permissions.allows(viewer, "webhook.manage"),
            "site_url": settings.TRACTION_SITE_URL.rstrip("/"),
            "zone": accounts_selectors.workspace_time_zone(viewer),  # times shown in it
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def endpoint_create(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    permissions.check(viewer, "webhook.manage")
    sent = request.POST if request.method == "POST" else request.GET
    found = program_selectors.offered_programs(
        viewer, typed=sent.get("programs_q", ""), ticked=_ids(sent.getlist("programs"))
    )
    form = EndpointForm(
        request.POST if request.method == "POST" else None,
        initial=_found_again(request), programs=_programs(viewer), shown=found.rows,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.create_endpoint(viewer, **form.service_values())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, FIELD_MAP)
        else:
            return _to_secret(request, endpoint, secret, created=True)
    return render(
        request,
        "webhooks/endpoint_form.html",
        {"form": form, "endpoint": None, "events": events.registered(), "find": found},
    )


@workspace_view
@require_GET
def endpoint_detail(request: WorkspaceRequest, viewer: Viewer, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint(viewer, endpoint_id)
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    deliveries = selectors.deliveries(viewer, endpoint, status=status)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "status": status,
            "statuses": DeliveryStatus.choices,
            "query": f"status={status}" if status else "",
            "programs": list(endpoint.programs.all()),
            "can_manage": permissions.can(viewer, "webhook.manage", endpoint),
            "zone": accounts_selectors.workspace_time_zone(viewer),  # times shown in it
            "now": clock.now(),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: WorkspaceRequest, viewer: Viewer, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint(viewer, endpoint_id, action="webhook.manage")
    if endpoint.is_archived:
        raise NotFound("This endpoint is archived.")
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_scope": "all" if endpoint.all_events else "chosen",
        "event_types": endpoint.event_types,
        "program_scope": "all" if endpoint.all_programs else "chosen",
        "programs": [p.pk for p in endpoint.programs.all()],
        "version": endpoint.version,
        **_found_again(request),
    }
    sent = request.POST if request.method == "POST" else request.GET
    found = program_selectors.offered_programs(
        viewer,
        typed=sent.get("programs_q", ""),
        ticked=_ids(sent.getlist("programs")) if request.method == "POST" else initial["programs"],
    )
    form = EndpointForm(
        request.POST if request.method == "POST" else None,
        initial=initial, programs=_programs(viewer), shown=found.rows, editing=True,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.update_endpoint(viewer, endpoint=endpoint, changes=form.service_values(),
                                     version=form.cleaned_data["version"])  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            apply_domain_errors(form, exc, FIELD_MAP)
        else:
            messages.success(request, f"The endpoint “{endpoint}” was saved.")
            return _to_detail(request, endpoint)
    return render(
        request,
        "webhooks/endpoint_form.html",
        {"form": form, "endpoint": endpoint, "events": events.registered(), "find": found},
    )


@workspace_view
@require_POST
def endpoint_rotate(request: WorkspaceRequest, viewer: Viewer, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint(viewer, endpoint_id, action="webhook.manage")
    try:
        endpoint, secret = services.rotate_secret(viewer, endpoint=endpoint)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
        return _to_detail(request, endpoint)
    return _to_secret(request, endpoint, secret, created=False)


@workspace_view
@never_cache
@require_GET
def endpoint_secret(request: WorkspaceRequest, viewer: Viewer, endpoint_id: int) -> HttpResponse:
    """The secret just made, shown once: taken out of the session as it is shown; a reload
    (or a second tab) says it was shown and offers a rotation."""
    endpoint = selectors.endpoint(viewer, endpoint_id, action="webhook.manage")
    held = request.session.pop(_secret_key(endpoint.pk), None)
    secret = None
    if held:
        try:
            secret = crypto.decrypt(held["secret"])
        except (crypto.SecretUnreadable, KeyError, TypeError):
            secret = None
    return render(
        request,
        "webhooks/secret.html",
        {
            "endpoint": endpoint,
            "secret": secret,
            "created": bool(held and held.get("created")),
        },
    )


@workspace_view
@require_POST
def endpoint_active(request: WorkspaceRequest, viewer: Viewer, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint(viewer, endpoint_id, action="webhook.manage")
    active = request.POST.get("active") == "1"
    try:
        services.set_active(viewer, endpoint=endpoint, active=active)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            f"The endpoint “{endpoint}” is enabled: waiting deliveries resume."
            if active
            else f"The endpoint “{endpoint}” is disabled: nothing is sent to it until you "
            "enable it again.",
        )
    return _to_detail(request, endpoint)


@workspace_view
@require_http_methods(["GET", "POST"])
def endpoint_archive(request: WorkspaceRequest, viewer: Viewer, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint(viewer, endpoint_id, action="webhook.manage")
    if request.method == "POST":
        try:
            services.archive_endpoint(viewer, endpoint=endpoint)
        except ValidationFailed as exc:
            messages.error(request, error_text(exc))
            return _to_detail(request, endpoint)
        messages.success(
            request, f"The endpoint “{endpoint}” was archived. Its deliveries are kept."
        )
        return redirect("webhooks:list", workspace_slug=request.workspace.slug)
    return render(request, "webhooks/endpoint_archive.html", {"endpoint": endpoint})


@workspace_view
@require_POST
def endpoint_restore(request: WorkspaceRequest, viewer: Viewer, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint(viewer, endpoint_id, action="webhook.manage")
    try:
        services.restore_endpoint(viewer, endpoint=endpoint)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            f"The endpoint “{endpoint}” is back, disabled: enable it when its receiver is ready.",
        )
    return _to_detail(request, endpoint)


@workspace_view
@require_POST
def endpoint_test(request: WorkspaceRequest, viewer: Viewer, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint(viewer, endpoint_id, action="webhook.manage")
    try:
        services.send_test(viewer, endpoint=endpoint)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, "A test event is on its way. Reload in a moment to see how it went."
        )
    return _to_detail(request, endpoint)


@workspace_view
@require_POST
def delivery_redeliver(
    request: WorkspaceRequest, viewer: Viewer, endpoint_id: int, delivery_id: uuid.UUID
) -> HttpResponse:
    endpoint = selectors.endpoint(viewer, endpoint_id, action="webhook.manage")
    found = selectors.delivery(viewer, delivery_id, action="webhook.manage")
    if found.endpoint_id != endpoint.pk:
        raise NotFound("Webhook delivery not found.")
    try:
        services.redeliver(viewer, delivery_row=found)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, f"The {found.event.type} event is being sent again, as a new delivery."
        )
    return _to_detail(request, endpoint)


@workspace_view
@require_GET
def guide(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """What a receiver gets and how it verifies it (the event catalogue from the registry)."""
    import json

    from .delivery import retry_schedule, timeout
    from .receiver import VERIFY_SNIPPET

    permissions.check(viewer, "webhook.view")
    example = {
        "id": "5f0c7a7e-3b0e-4d5c-9a57-2f8b5d1f0e21",
        "type": events.TEST_EVENT,
        "version": 1,
        "occurred_at": "2027-03-01T09:30:00.000Z",
        "workspace": request.workspace.slug,
        "program": None,
        "data": events.get(events.TEST_EVENT).example,
    }
    return render(
        request,
        "webhooks/guide.html",
        {
            "events": events.registered(),
            "snippet": VERIFY_SNIPPET,
            "example": json.dumps(example, indent=2),
            "timeout": f"{timeout():g}",
            "schedule": _schedule_text(retry_schedule()),
        },
    )


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _schedule_text(schedule: list[float]) -> str:
    return ", ".join(_duration(s) for s in schedule) if schedule else "no retries"
