"""Domain events: a lower app announces what happened, higher apps act on it in step.

Apps depend one way along the flow (tests/test_layers.py), yet some facts of a lower app
change what a higher app must do: a cancelled session closes its voting round (voting),
an erased contact's name leaves every insight it spoke (insights), a member removed from a
workspace leaves the sessions they took part in (sessions). The lower app's service
*publishes* the event inside its own transaction; each higher app *subscribes* a handler in
its ``AppConfig.ready``. Handlers run synchronously, in registration order, in the same
transaction, so the whole change commits or rolls back together, and each handler records
its own audit event.

Unlike Django signals, the events are a closed, named list (``EVENTS``), so a newcomer finds
every consequence of, say, cancelling a session by searching for its name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .permissions import Principal

# Every event, with what it carries besides the acting viewer.
EVENTS: dict[str, str] = {
    "session.planned": "session: a new Session",
    "session.rescheduled": "session: its start or end changed",
    "session.held": "session: marked held, with its actual end (``actual_ends_at``)",
    "session.cancelled": "session: the cancelled Session",
    "participant.declined": "session, contact: a customer contact declined (or withdrew)",
    "contact.archived": "contact: archived; hidden from pickers, history kept",
    "contact.erased": "contact: identity replaced by a tombstone; words, votes, approvals kept",
    "customer.owner_changed": "customer, old_owner_id, new_owner_id",
    "member.removed": "user_id: the member left the workspace (membership archived)",
    "contact.consent_withdrawn": "contact: no longer agrees to be contacted; declines what is open",
}

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    """Run ``handler(actor, **payload)`` whenever ``event`` is published. Idempotent."""
    if event not in EVENTS:
        raise LookupError(f"unknown event {event!r}: add it to core.events.EVENTS")
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def publish(event: str, actor: Principal | None, **payload: Any) -> None:
    """Call every subscriber of ``event`` now, inside the caller's transaction. ``actor`` is
    a member, a customer contact acting through their link, or None for the system."""
    if event not in EVENTS:
        raise LookupError(f"unknown event {event!r}: add it to core.events.EVENTS")
    for handler in list(_handlers[event]):
        handler(actor, **payload)


def subscribers(event: str) -> list[Handler]:
    """Who acts on ``event`` (for tests and for reading)."""
    return list(_handlers[event])
