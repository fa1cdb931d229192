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


SUBSCRIPTIONS: list[tuple[str, Callable[..., None]]] = [
    ("contact.erased", contact_erased),
]
