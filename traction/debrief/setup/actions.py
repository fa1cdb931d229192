"""What the actions area of the debrief registers with the kernel and lower apps."""

from __future__ import annotations


def register() -> None:
    """Registrations of the actions area (navigation, sections, handlers, periodic jobs)."""
