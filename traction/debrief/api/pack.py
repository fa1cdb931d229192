"""The debrief API: the pack area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["debrief"])
