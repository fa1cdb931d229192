"""API operations for webhooks (admins' tokens): parse, call one selector or service, shape."""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from traction.core import permissions
from traction.core.api import Pagination, responses, viewer

from . import events, selectors, services
from .models import WebhookDelivery, WebhookEndpoint
from .schemas import (
    WebhookDeliveryFilters,
    WebhookDeliveryOut,
    WebhookEndpointCreateIn,
    WebhookEndpointOut,
    WebhookEndpointUpdateIn,
    WebhookEndpointWithSecretOut,
    WebhookEventTypeOut,
)

router = Router(tags=["webhooks"])


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpoint:
    endpoint.secret = secret  # type: ignore[attr-defined]  # shown this once
    return endpoint


@router.get(
    "/webhooks/events",
    response=responses({200: list[WebhookEventTypeOut]}),
    operation_id="list_webhook_event_types",
    summary="List the event types an endpoint can receive",
)
def list_webhook_event_types(request: HttpRequest) -> list[Any]:
    permissions.check(viewer(request), "webhook.view")
    return list(events.registered())


@router.get(
    "/webhooks/endpoints",
    response=responses({200: list[WebhookEndpointOut]}),
    operation_id="list_webhook_endpoints",
    summary="List webhook endpoints",
)
@paginate(Pagination)
def list_webhook_endpoints(
    request: HttpRequest, archived: bool = False
) -> QuerySet[WebhookEndpoint]:
    """The workspace's endpoints (``archived=true``: the archived ones)."""
    return selectors.endpoints(viewer(request), archived=archived).prefetch_related("programs")


@router.post(
    "/webhooks/endpoints",
    response=responses({201: WebhookEndpointWithSecretOut}, body=True),
    operation_id="create_webhook_endpoint",
    summary="Register a webhook endpoint (its signing secret is returned this once)",
)
def create_webhook_endpoint(
    request: HttpRequest, payload: WebhookEndpointCreateIn
) -> Status[WebhookEndpoint]:
    endpoint, secret = services.create_endpoint(viewer(request), **payload.model_dump())
    return Status(201, _with_secret(endpoint, secret))


@router.get(
    "/webhooks/endpoints/{endpoint_id}",
    response=responses({200: WebhookEndpointOut}, object_path=True),
    operation_id="get_webhook_endpoint",
    summary="Get a webhook endpoint",
)
def get_webhook_endpoint(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    return selectors.endpoint(viewer(request), endpoint_id)


@router.patch(
    "/webhooks/endpoints/{endpoint_id}",
    response=responses({200: WebhookEndpointOut}, body=True, object_path=True, versioned=True),
    operation_id="update_webhook_endpoint",
    summary="Change a webhook endpoint's address, filters or state",
)
def update_webhook_endpoint(
    request: HttpRequest, endpoint_id: int, payload: WebhookEndpointUpdateIn
) -> WebhookEndpoint:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    endpoint = selectors.endpoint(v, endpoint_id, action="webhook.manage")
    return services.update_endpoint(v, endpoint=endpoint, changes=changes, version=version)


@router.delete(
    "/webhooks/endpoints/{endpoint_id}",
    response=responses({204: None}, object_path=True),
    operation_id="archive_webhook_endpoint",
    summary="Archive a webhook endpoint (its deliveries are kept)",
)
def archive_webhook_endpoint(request: HttpRequest, endpoint_id: int) -> Status[None]:
    v = viewer(request)
    endpoint = selectors.endpoint(v, endpoint_id, action="webhook.manage")
    services.archive_endpoint(v, endpoint=endpoint)
    return Status(204, None)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/restore",
    response=responses({200: WebhookEndpointOut}, object_path=True),
    operation_id="restore_webhook_endpoint",
    summary="Bring an archived webhook endpoint back (disabled until it is enabled)",
)
def restore_webhook_endpoint(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    v = viewer(request)
    endpoint = selectors.endpoint(v, endpoint_id, action="webhook.manage")
    return services.restore_endpoint(v, endpoint=endpoint)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/rotate-secret",
    response=responses({200: WebhookEndpointWithSecretOut}, object_path=True),
    operation_id="rotate_webhook_secret",
    summary="Replace an endpoint's signing secret (the new one is returned this once)",
)
def rotate_webhook_secret(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    v = viewer(request)
    endpoint = selectors.endpoint(v, endpoint_id, action="webhook.manage")
    endpoint, secret = services.rotate_secret(v, endpoint=endpoint)
    return _with_secret(endpoint, secret)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/test",
    response=responses({202: WebhookDeliveryOut}, object_path=True),
    operation_id="send_webhook_test",
    summary="Send a webhook.test event to an endpoint",
)
def send_webhook_test(request: HttpRequest, endpoint_id: int) -> Status[WebhookDelivery]:
    v = viewer(request)
    endpoint = selectors.endpoint(v, endpoint_id, action="webhook.manage")
    return Status(202, services.send_test(v, endpoint=endpoint))


@router.get(
    "/webhooks/endpoints/{endpoint_id}/deliveries",
    response=responses({200: list[WebhookDeliveryOut]}, object_path=True),
    operation_id="list_webhook_deliveries",
    summary="List an endpoint's deliveries, newest first",
)
@paginate(Pagination)
def list_webhook_deliveries(
    request: HttpRequest, endpoint_id: int, filters: Query[WebhookDeliveryFilters]
) -> QuerySet[WebhookDelivery]:
    v = viewer(request)
    endpoint = selectors.endpoint(v, endpoint_id)
    return selectors.deliveries(v, endpoint, status=filters.status)


@router.post(
    "/webhooks/deliveries/{delivery_id}/redeliver",
    response=responses({202: WebhookDeliveryOut}, object_path=True),
    operation_id="redeliver_webhook",
    summary="Send a delivery's event again (a new delivery: same event id and body)",
)
def redeliver_webhook(request: HttpRequest, delivery_id: uuid.UUID) -> Status[WebhookDelivery]:
    v = viewer(request)
    found = selectors.delivery(v, delivery_id, action="webhook.manage")
    return Status(202, services.redeliver(v, delivery_row=found))
