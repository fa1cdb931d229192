"""Template helpers of the debrief clock: the timeliness badge's words."""

from __future__ import annotations

from datetime import timedelta

from django import template

from traction.core import clock
from traction.debrief.models import Debrief

register = template.Library()


def until(delta: timedelta) -> str:
    """A time left in words people scan: "45 min", "5 h", "3 days"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


@register.filter
def timeliness_text(debrief: Debrief) -> str:
    """The badge: "Due in 5 h", "On time", "Late", "Missed", "Cancelled"."""
    kind = debrief.timeliness
    if kind == "due":
        return f"Due in {until(debrief.due_at - clock.now())}"
    if kind == "late" and debrief.opened_at is None:
        return f"Late by {until(clock.now() - debrief.due_at)}"
    return {"on_time": "On time", "late": "Late", "missed": "Missed"}.get(kind, "Cancelled")


@register.filter
def place(debrief: Debrief) -> str:
    """Where it meets: its own place, else where its session took place."""
    return debrief.location or debrief.session.location


@register.filter
def video(debrief: Debrief) -> str:
    return debrief.video_link or debrief.session.video_link
