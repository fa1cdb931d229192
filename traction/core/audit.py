"""Recording audit events from services."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models

from .models import AuditEvent
from .permissions import Viewer

_channel: contextvars.ContextVar[str] = contextvars.ContextVar("traction_channel", default="web")


@contextmanager
def channel(name: str) -> Iterator[None]:
    """Interfaces say where a change came from: web (default), api, cli, system."""
    token = _channel.set(name)
    try:
        yield
    finally:
        _channel.reset(token)


def record(
    viewer: Viewer | None,
    *,
    action: str,
    obj: models.Model,
    workspace_id: int | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event. Call inside the service's transaction so it commits with the change."""
    ws = workspace_id if workspace_id is not None else getattr(obj, "workspace_id", None)
    if ws is None and viewer is not None:
        ws = viewer.workspace_id
    if ws is None:
        raise ValueError("an audit event needs a workspace")
    user = viewer.user if viewer is not None else None
    return AuditEvent.objects.create(
        workspace_id=ws,
        actor_id=user.pk if user is not None else None,
        actor_label=getattr(user, "email", "") or "system",
        via=_channel.get(),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk or ""),
        object_repr=str(obj)[:200],
        changes=_jsonable(changes or {}),
        reason=reason,
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that changed, as {field: [old, new]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
