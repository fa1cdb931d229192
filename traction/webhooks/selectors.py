"""Scoped reads for webhooks: fetching is checking (admins only, their own workspace)."""

from __future__ import annotations

import uuid

from django.db.models import Count, Max, Q, QuerySet

from traction.core import permissions
from traction.core.errors import NotFound
from traction.core.permissions import Viewer

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def endpoints(viewer: Viewer, *, archived: bool = False) -> QuerySet[WebhookEndpoint]:
    """The workspace's endpoints (or its archived ones), with their delivery figures."""
    qs = permissions.scope(viewer, "webhook.view", WebhookEndpoint.objects.all())
    return (
        qs.filter(archived_at__isnull=not archived)
        .annotate(
            last_delivery_at=Max("deliveries__created_at"),
            pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        )
        .order_by("url", "id")
    )


def archived_count(viewer: Viewer) -> int:
    qs = permissions.scope(viewer, "webhook.view", WebhookEndpoint.objects.all())
    return qs.filter(archived_at__isnull=False).count()


def endpoint(viewer: Viewer, endpoint_id: int, action: str = "webhook.view") -> WebhookEndpoint:
    return permissions.get(
        viewer, action, WebhookEndpoint.objects.prefetch_related("programs"), pk=endpoint_id
    )


def deliveries(
    viewer: Viewer, endpoint: WebhookEndpoint, *, status: str = ""
) -> QuerySet[WebhookDelivery]:
    """One endpoint's deliveries, newest first, with their events and attempt logs (a
    delivery has at most one attempt per step of the retry schedule)."""
    qs = permissions.scope(viewer, "webhook.view", WebhookDelivery.objects.all())
    qs = qs.filter(endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("event").prefetch_related("attempt_log").order_by("-created_at", "-id")


def delivery(
    viewer: Viewer, delivery_id: uuid.UUID | str, action: str = "webhook.view"
) -> WebhookDelivery:
    try:
        key = delivery_id if isinstance(delivery_id, uuid.UUID) else uuid.UUID(str(delivery_id))
    except ValueError:
        raise NotFound("Webhook delivery not found.") from None
    return permissions.get(
        viewer, action, WebhookDelivery.objects.select_related("event", "endpoint"), pk=key
    )
