"""Closing the loop (docs/loop.md): what customers hear of the priorities they gave us.

A customer priority is a card of a program's sessions customers prioritised: an accepted
moment of truth, issue or idea (a merged card stands for its sources). Its customer-facing
status is kept apart from internal state, as an append-only history of ``PriorityStatus``
rows: a proposal becomes published once each affected customer's account owner approved it
(``Approval``) or an admin waived that approval. The slip radar marks a published status the
facts no longer back (``AtRisk``). Work done is recorded as a ``Delivery``, linked to the
priorities it touches.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from traction.core import clock
from traction.core.models import ClockDateTimeField


class Status(models.TextChoices):
    HEARD = "heard", "Heard"
    UNDER_CONSIDERATION = "under_consideration", "Under consideration"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DELIVERED = "delivered", "Delivered"
    NOT_PLANNED = "not_planned", "Not planned"


class WindowKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    HALF = "half", "Half-year"


class PriorityStatus(models.Model):
    """One customer-facing status of a priority, proposed and (once approved) published.

    Rows are never deleted and never rewritten but for their publication (``published_*``)
    or their withdrawal (``archived_at``: a newer proposal replaced a pending one). The
    priority's current status is its latest published row. ``facts`` is what the status
    relied on when proposed (recommendations, action items and their due dates,
    deliveries), so the radar can tell what changed."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    priority = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    window_kind = models.CharField(max_length=8, choices=WindowKind.choices, blank=True)
    window_start = models.DateField(null=True, blank=True)
    customer_reason = models.TextField(blank=True)
    facts = models.JSONField(default=dict, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = ClockDateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "program", "priority"]),
            models.Index(fields=["priority", "published_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(window_kind="", window_start__isnull=True)
                    | (~models.Q(window_kind="") & models.Q(window_start__isnull=False))
                ),
                name="loop_window_kind_and_start_together",
            )
        ]

    def __str__(self) -> str:
        return f"{self.priority_id}: {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.published_at is None and self.archived_at is None

    @property
    def window(self) -> Any:
        from traction.loop.windows import Window

        if not self.window_kind or self.window_start is None:
            return None
        return Window.of(self.window_kind, self.window_start)


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Waiting"
    APPROVED = "approved", "Approved"
    WAIVED = "waived", "Waived by an admin"


class Approval(models.Model):
    """One affected customer's account owner's blessing of something said to customers (a
    proposed status now; an update later: ``subject_kind``). An admin may waive it, with a
    reason. Decided once: a newer proposal gets approvals of its own."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(
        "programs.Program", on_delete=models.RESTRICT, related_name="loop_approvals"
    )
    subject_kind = models.CharField(max_length=12, default="status")
    status = models.ForeignKey(
        PriorityStatus, null=True, blank=True, on_delete=models.PROTECT, related_name="approvals"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    # Who was asked: the customer's account owner when it was asked (None: nobody owns the
    # customer, so only an admin's waiver lets it through).
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status", "customer"], name="loop_one_approval_per_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.state}"


class AtRisk(models.Model):
    """The slip radar's mark on a priority whose published status the facts no longer back:
    why, since when, and an honest "change of plan" draft. Cleared (``cleared_at``) when the
    facts back the status again; a later slip opens a new record."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.RESTRICT, related_name="+")
    priority = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    status = models.ForeignKey(PriorityStatus, on_delete=models.PROTECT, related_name="risks")
    reasons = models.JSONField(default=list)
    draft = models.TextField(blank=True)
    since = models.DateTimeField(default=clock.now)
    checked_at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["priority"],
                condition=models.Q(cleared_at__isnull=True),
                name="loop_one_open_risk_per_priority",
            )
        ]

    def __str__(self) -> str:
        return f"{self.priority_id} at risk since {self.since:%Y-%m-%d}"


class ReasonText(models.Model):
    """A reusable answer for customers ("Not planned: it conflicts with our security
    policy"), checked like any text shown to customers."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=120)
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class DeliverySource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "Imported from CSV"
    API = "api", "Sent through the API"


class Delivery(models.Model):
    """Work done anywhere in the company (a release, a policy change, a new service), linked
    to the customer priorities it touches, planned or not. Recording one for a past date
    notifies nobody."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    on = models.DateField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    link = models.URLField(max_length=500, blank=True)
    # The key a re-import finds the delivery by (a release id, a ticket); else link + date.
    external_id = models.CharField(max_length=120, blank=True)
    source = models.CharField(
        max_length=8, choices=DeliverySource.choices, default=DeliverySource.MANUAL
    )
    priorities: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "insights.Insight", through="DeliveryPriority", related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = ClockDateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["workspace", "program", "on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~models.Q(external_id=""),
                name="loop_delivery_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryPriority(models.Model):
    """A delivery touches a priority: who linked them, and when."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="links")
    priority = models.ForeignKey("insights.Insight", on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "priority"], name="loop_one_delivery_link")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} touches {self.priority_id}"
