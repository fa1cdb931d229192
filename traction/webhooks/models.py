"""Webhook endpoints, the events published to them, and each endpoint's delivery of an event.

An event is written once (its JSON body, byte for byte, is what every delivery sends, on every
attempt); each matching endpoint gets a delivery (the outbox row: when to try next, how many
attempts, the last answer). Nothing here is deleted: an endpoint is archived, and its events
and deliveries stay as the record of what was sent where.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from traction.core import clock
from traction.core.models import ClockDateTimeField, WorkspaceRecord


class WebhookEndpoint(WorkspaceRecord):
    url = models.URLField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Which events: every registered one, or the names listed.
    all_events = models.BooleanField(default=True)
    event_types = models.JSONField(default=list, blank=True)
    # Which programs: every one (and events of no program), or those chosen.
    all_programs = models.BooleanField(default=True)
    programs = models.ManyToManyField("programs.Program", blank=True, related_name="+")
    active = models.BooleanField(default=True)
    # The signing secret, encrypted (``crypto.py``); its last characters, to tell secrets apart.
    secret_encrypted = models.TextField()
    secret_hint = models.CharField(max_length=8)
    secret_rotated_at = models.DateTimeField(default=clock.now)
    # Deliveries that gave up, one after the other; a success resets it. Disabled by Traction
    # (not by an admin): when and why.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["url", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def wants(self, event: str, program_id: int | None, program_ids: set[int]) -> bool:
        """Whether this endpoint takes ``event`` of ``program_id`` (its chosen programs given)."""
        if not self.all_events and event not in self.event_types:
            return False
        return self.all_programs or (program_id is not None and program_id in program_ids)


class WebhookEvent(models.Model):
    """One published event: its id and body are the same in every endpoint's delivery."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    occurred_at = models.DateTimeField(default=clock.now)
    body = models.TextField()

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up"
    CANCELLED = "cancelled", "Cancelled"


class WebhookDelivery(models.Model):
    """One endpoint's delivery of one event (the outbox row). Its id is sent as
    ``Traction-Delivery``; a redelivery is a new delivery of the same event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.RESTRICT, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.RESTRICT, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When a worker may try it next. Claiming it moves this on by a lease, so a worker that
    # dies mid-attempt leaves it due again later, never lost and never tried twice at once.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="redeliveries"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.id}"


class WebhookAttempt(models.Model):
    """One try of a delivery: when, how long it took, and the receiver's answer (or why there
    was none). Written once per attempt, never changed: the delivery's history."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.RESTRICT, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)  # None: not measured
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
