"""The debrief API: the room area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["debrief"])
