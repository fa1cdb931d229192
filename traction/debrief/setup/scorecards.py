"""What the scorecards area of the debrief registers with the kernel and lower apps: the
room's scorecard panel, the program page's link to its scorecard, and the periodic job that
catches up the 3, 6 and 12 month checkpoints of closed debriefs and announces each when it is
reached."""

from __future__ import annotations

from typing import Any

from traction.core import periodic, sections
from traction.core.permissions import Viewer


def _program_section(viewer: Viewer, program: Any) -> dict[str, Any]:
    return {"program": program}


def _room_panel(viewer: Viewer, debrief: Any) -> dict[str, Any]:
    from traction.debrief import selectors_scorecards

    return selectors_scorecards.room_panel(viewer, debrief)


def _checkpoints() -> dict[str, int]:
    from traction.debrief.services import scorecards

    return scorecards.reach_checkpoints()


def register() -> None:
    """Registrations of the scorecards area (navigation, sections, handlers, periodic jobs)."""
    sections.register(
        "debrief-room",
        "scorecard",
        template="debrief/scorecards/includes/room_panel.html",
        action="debrief.view",
        context=_room_panel,
        order=50,
    )
    sections.register(
        "program",
        "scorecard",
        template="debrief/scorecards/includes/program_section.html",
        action="debrief.view",
        context=_program_section,
        order=60,
    )
    periodic.register(
        "debrief.checkpoints",
        _checkpoints,
        description="Catch up the 3, 6 and 12 month results checkpoints of closed debriefs; "
        "announce each one reached.",
        order=40,
    )
