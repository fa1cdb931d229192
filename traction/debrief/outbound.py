"""What the debrief announces to other tools: the webhook events and their payloads.

Each service calls ``announce`` inside its transaction; ``payload_*`` functions build the
stable, versioned JSON of each record (the same shape the API returns, ids as numbers,
dates ISO 8601). Delivery (signing, retries) belongs to ``traction.webhooks``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

# Every event the debrief announces, with what it means (the webhook catalogue).
EVENTS: dict[str, str] = {
    "recommendation.decided": "A policy maker approved, deferred or rejected a recommendation.",
    "action_item.created": "An action item was created for an approved recommendation.",
    "action_item.updated": "An action item changed (status, dates, owner or title) "
    "or got a progress note.",
    "action_item.done": "An action item was marked done.",
    "debrief.closed": "A debrief was closed; its pack is ready.",
    "metric.measured": "A measurement of a scorecard metric was recorded or corrected.",
    "checkpoint.reached": "A 3, 6 or 12 month results checkpoint of a debrief was reached.",
}

# Events whose data carries a list that has no bound of its own (a CSV import of thousands of
# measurements): the list goes out in parts, each an event of its own (its own id, the same
# type, version and shape, the rest of ``data`` repeated), of at most PER_EVENT items and
# PART_BYTES bytes of JSON, so every body stays far under the 1 MB receivers are told to
# accept (docs/webhooks.md).
PARTED: dict[str, str] = {"metric.measured": "measurements"}
PER_EVENT = 500
PART_BYTES = 512 * 1024

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
    for part in parts(event, data):
        for sink in list(_sinks):
            sink(workspace_id=workspace_id, event=event, program_id=program_id, data=part)


def _size(item: Any) -> int:
    text = json.dumps(item, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode()) + 1  # and its comma


def parts(event: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """``data`` as the events it goes out as: itself, or for a ``PARTED`` event whose list is
    long, one ``data`` per part of the list (in its order)."""
    key = PARTED.get(event)
    items = data.get(key) if key else None
    if key is None or not isinstance(items, list) or len(items) <= 1:
        return [data]
    chunks: list[list[Any]] = [[]]
    size = 0
    for item in items:
        cost = _size(item)
        if chunks[-1] and (len(chunks[-1]) >= PER_EVENT or size + cost > PART_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += cost
    if len(chunks) == 1:
        return [data]
    return [{**data, key: chunk} for chunk in chunks]
