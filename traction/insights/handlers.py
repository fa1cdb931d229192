"""What insights does when a lower app announces something (``traction.core.events``):
subscribed in ``InsightsConfig.ready``; each runs inside the publisher's transaction and
records its own audit event.

- ``contact.erased``: the contact's name and e-mail leave insights (see ``erasure.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from traction.core.permissions import Viewer


def contact_erased(actor: Viewer | None, *, contact: Any, **_: Any) -> None:
    from traction.insights import erasure

    erasure.erase_contact(actor, contact=contact)


def recorded_in_session(session: Any) -> str:
    """What insights holds from a session (its cards, scenarios, imported files), for the
    rule that a session with captured content keeps its date (``sessions.records``)."""
    from traction.insights.models import ImportBatch, Insight, Scenario

    found = []
    if n := Insight.objects.filter(session=session).count():
        found.append(f"{n} insight{'s' if n != 1 else ''}")
    if n := Scenario.objects.filter(session=session).count():
        found.append(f"{n} scenario{'s' if n != 1 else ''}")
    if n := ImportBatch.objects.filter(session=session).count():
        found.append(f"{n} imported file{'s' if n != 1 else ''}")
    return ", ".join(found)


SUBSCRIPTIONS: list[tuple[str, Callable[..., None]]] = [
    ("contact.erased", contact_erased),
]
