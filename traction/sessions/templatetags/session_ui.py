"""Template helpers for sessions: times in the session's own zone, ages in plain words."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils.timesince import timesince

from traction.core import clock

register = template.Library()


@register.filter
def age(value: datetime | timedelta | None) -> str:
    """``3 days`` / ``2 hours``: the largest unit only, for "pending for 3 days"."""
    if value is None:
        return ""
    if isinstance(value, timedelta):
        value = clock.now() - value
    if clock.now() - value < timedelta(minutes=1):
        return "less than a minute"
    return timesince(value, depth=1)
