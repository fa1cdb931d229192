"""What the debrief does when lower apps announce something (``core.events``)."""

from __future__ import annotations


def register() -> None:
    """Subscribe the debrief's handlers (filled by the clock, actions … areas)."""
