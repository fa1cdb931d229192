"""Template helpers for maps: a card's heat on its grid."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def heat(card: Any, grid: Any) -> int:
    """0 (no votes) to 4 (as many as the most-voted card of the map)."""
    return int(grid.heat(card)) if grid is not None else 0
