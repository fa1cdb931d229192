"""Template helpers of the debrief clock: the timeliness badge's words."""

from __future__ import annotations

from datetime import timedelta

from django import template

from traction.core import clock
from traction.debrief.models import ClockEvent, Debrief

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


# What each entry of the clock's record says happened: "Due" beside a date read as the
# deadline itself, when it is the moment the deadline was set.
EVENT_WORDS = {
    ClockEvent.Kind.DUE: "Deadline set",
    ClockEvent.Kind.BOOKED: "Slot booked",
    ClockEvent.Kind.REMINDED: "Reminder sent",
    ClockEvent.Kind.HELD: "Held (the room opened)",
    ClockEvent.Kind.LATE: "Became late",
    ClockEvent.Kind.MISSED: "Became missed",
    ClockEvent.Kind.CLOSED: "Closed",
    ClockEvent.Kind.CANCELLED: "Cancelled",
}


@register.filter
def event_words(event: ClockEvent) -> str:
    return EVENT_WORDS.get(ClockEvent.Kind(event.kind), event.get_kind_display())


@register.filter
def place(debrief: Debrief) -> str:
    """Where it meets: its own place, else where its session took place."""
    return debrief.location or debrief.session.location


@register.filter
def video(debrief: Debrief) -> str:
    return debrief.video_link or debrief.session.video_link
