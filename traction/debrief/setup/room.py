"""What the room area of the debrief registers with the kernel and lower apps."""

from __future__ import annotations


def register() -> None:
    """The room's own panels: the decision brief with the coverage meter (20) and the
    recommendations with their decisions (30). Other areas add theirs (10, 40, 50, 60)."""
    from traction.core import sections
    from traction.debrief import selectors_room

    sections.register(
        "debrief-room",
        "brief",
        template="debrief/room/brief.html",
        action="debrief.view",
        context=selectors_room.room_section,
        order=20,
    )
    sections.register(
        "debrief-room",
        "recommendations",
        template="debrief/room/recommendations.html",
        action="debrief.view",
        context=selectors_room.recommendations_section,
        order=30,
    )
