"""What the pack area of the debrief registers with the kernel and lower apps: the room's
closing panel and the account owners' digests job."""

from __future__ import annotations

from typing import Any

from traction.core import periodic, permissions, sections
from traction.core.permissions import Viewer


def closing_panel(viewer: Viewer, debrief: Any) -> dict[str, Any]:
    """The room's closing panel: close (facilitators), then read and send the pack."""
    from traction.debrief import selectors_pack

    closed = selectors_pack.is_closed(debrief)
    return {
        "debrief": debrief,
        "closed": closed,
        "can_run": permissions.can(viewer, "debrief.run", debrief),
        "undecided": 0 if closed else len(selectors_pack.undecided_priorities(viewer, debrief)),
        # Before its session took place it cannot close: the panel says why, with no button.
        "too_early": "" if closed or debrief.opened_at else debrief.too_early(),
    }


def digests_job() -> dict[str, int]:
    from traction.debrief.services import closing

    return closing.send_digests()


def register() -> None:
    """Registrations of the pack area (navigation, sections, handlers, periodic jobs)."""
    sections.register(
        "debrief-room",
        "closing",
        template="debrief/pack/room_panel.html",
        action="debrief.view",
        context=closing_panel,
        order=60,
    )
    periodic.register(
        "debrief.pack_digests",
        digests_job,
        description="Email each account owner the decisions of a closed debrief touching "
        "their customers (once per debrief).",
        order=60,
    )
