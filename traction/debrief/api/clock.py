"""The debrief API: the clock area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["debrief"])
