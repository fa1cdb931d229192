"""What the debrief announces to other tools: the webhook events and their payloads.

Each service calls ``announce`` inside its transaction; ``payload_*`` functions build the
stable, versioned JSON of each record (the same shape the API returns, ids as numbers,
dates ISO 8601). Delivery (signing, retries) belongs to ``traction.webhooks``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Every event the debrief announces, with what it means (the webhook catalogue).
EVENTS: dict[str, str] = {
    "recommendation.decided": "A policy maker approved, deferred or rejected a recommendation.",
    "action_item.created": "An action item was created for an approved recommendation.",
    "action_item.updated": "An action item changed: status, dates, owner or title.",
    "action_item.done": "An action item was marked done.",
    "debrief.closed": "A debrief was closed; its pack is ready.",
    "metric.measured": "A measurement of a scorecard metric was recorded or corrected.",
    "checkpoint.reached": "A 3, 6 or 12 month results checkpoint of a debrief was reached.",
}

Sink = Callable[..., object]  # its result is not used
_sinks: list[Sink] = []


def connect(sink: Sink) -> None:
    """Send every announcement to ``sink(workspace_id=, event=, program_id=, data=)`` too
    (the webhooks app's publisher; tests may listen)."""
    if sink not in _sinks:
        _sinks.append(sink)


def disconnect(sink: Sink) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


def announce(
    *, workspace_id: int, event: str, program_id: int | None, data: dict[str, Any]
) -> None:
    if event not in EVENTS:
        raise LookupError(f"unknown debrief event {event!r}: add it to outbound.EVENTS")
    for sink in list(_sinks):
        sink(workspace_id=workspace_id, event=event, program_id=program_id, data=data)
