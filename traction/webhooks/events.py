"""The catalogue of webhook events: what higher apps may publish, filled from their ``ready()``.

An app registers each event it publishes, once, from its ``AppConfig.ready()``::

    from traction.webhooks import events

    events.register(
        "action_item.done",
        description="An action item was marked done.",
        version=1,
        example={"action_item": {"id": 12, "title": "…"}},
    )

then publishes it from the service that makes the change
(``traction.webhooks.services.publish``). The endpoint form offers the registered events,
and docs/webhooks.md lists them (a test keeps the two in step). ``version`` is the version
of the event's ``data`` shape: it goes into every payload, and a change that could break a
receiver registers the event with the next version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Sent by "Send a test event"; registered by this app.
TEST_EVENT = "webhook.test"

NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    version: int = 1
    example: dict[str, Any] = field(default_factory=dict, compare=False)


_registry: dict[str, EventType] = {}


def register(
    name: str, *, description: str, version: int = 1, example: dict[str, Any] | None = None
) -> EventType:
    """Add an event type to the catalogue. Registering the same type again (a second
    ``ready()``) is harmless; registering a name again with another description or version
    is a programming error."""
    if not NAME.fullmatch(name) or len(name) > 80:
        raise ValueError(f"webhook event {name!r}: use dotted lower-case words, e.g. thing.done")
    if not description.strip():
        raise ValueError(f"webhook event {name!r}: describe it for the endpoint form and docs")
    if version < 1:
        raise ValueError(f"webhook event {name!r}: versions start at 1")
    event = EventType(name=name, description=description.strip(), version=version,
                      example=dict(example or {}))  # fmt: skip
    known = _registry.get(name)
    if known is not None and known != event:
        raise ValueError(f"webhook event {name!r} registered twice, differently")
    _registry[name] = event
    return event


def get(name: str) -> EventType:
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(
            f"no webhook event {name!r}: register it with traction.webhooks.events.register "
            "in the publishing app's AppConfig.ready()"
        ) from None


def is_registered(name: str) -> bool:
    return name in _registry


def registered() -> list[EventType]:
    """Every event type, by name."""
    return sorted(_registry.values(), key=lambda e: e.name)


def choices() -> list[tuple[str, str]]:
    """(name, "name — description") for forms."""
    return [(e.name, f"{e.name} — {e.description}") for e in registered()]
