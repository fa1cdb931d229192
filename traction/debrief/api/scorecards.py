"""The debrief API: the scorecards area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["debrief"])
