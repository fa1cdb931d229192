"""What the pack area of the debrief registers with the kernel and lower apps."""

from __future__ import annotations


def register() -> None:
    """Registrations of the pack area (navigation, sections, handlers, periodic jobs)."""
