"""Shared model fields, and the append-only audit trail: who, when, what, why (written only
by services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models

from . import clock


class ClockDateTimeField(models.DateTimeField):  # type: ignore[type-arg]
    """A ``DateTimeField`` whose ``auto_now`` / ``auto_now_add`` stamps ask the one clock.

    Django's own ``DateTimeField.pre_save`` asks ``django.utils.timezone`` directly, which a
    frozen clock (``clock.frozen``) does not reach; this one asks ``clock.now()``. Same column, same
    options: only where the time comes from differs. For a time that is only a default (an
    editable field), use ``default=clock.now``.
    """

    def pre_save(self, model_instance: models.Model, add: bool) -> datetime | None:
        if self.auto_now or (self.auto_now_add and add):
            value = clock.now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)  # type: ignore[no-any-return]


class WorkspaceRecord(models.Model):
    """The fields an edited record of a workspace shares: its workspace (a hard wall: every
    scope starts there), the ``version`` that optimistic concurrency compares and bumps
    (``traction.core.writes``: an edit based on an older version is refused, never lost), and
    when it was created and last changed."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """One recorded change. Never updated, never deleted (workspace deletion aside)."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept apart from the FK so the trail still says who, should the user be deleted.
    actor_label = models.CharField(max_length=254)
    via = models.CharField(max_length=10, default="web")  # web, api, cli, system
    at = ClockDateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit trail is append-only.")
