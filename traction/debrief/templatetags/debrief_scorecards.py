"""Template filters of the scorecard pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    """A measured value as people write it: 12.5, not 12.5000 or 1.25E+1; empty for None."""
    if value is None or value == "":
        return ""
    d = Decimal(str(value))
    return f"{d.normalize():f}"


@register.filter
def status_badge(status: str) -> str:
    """The badge class of a progress status."""
    return {"achieved": "badge-ok", "on_track": "badge-ok", "behind": "badge-warn"}.get(
        status, "badge-muted"
    )
