"""Template helpers of the actions area: an action's status badges and owner, time to
action's durations."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from traction.debrief.models import ActionItem, ActionStatus

register = template.Library()

_BADGE_CLASS: dict[str, str] = {
    ActionStatus.BLOCKED: " badge-warn",
    ActionStatus.DONE: " badge-ok",
    ActionStatus.DROPPED: " badge-muted",
}


@register.filter
def status_badges(a: ActionItem) -> SafeString:
    """The action's status badge, then "No owner" when its owner left the workspace and
    "Overdue" when it is late: one filter call per row of a list, not an included template."""
    html = format_html(
        '<span class="badge{}">{}</span>', _BADGE_CLASS.get(a.status, ""), a.get_status_display()
    )
    if a.ownerless_since:
        html += format_html(
            ' <span class="badge badge-warn" data-ownerless>No owner: {} left the workspace</span>',
            a.owner,
        )
    if a.is_overdue:
        html += mark_safe(' <span class="badge badge-warn">Overdue</span>')
    return html


@register.filter
def owner_text(a: ActionItem) -> str:
    """Who owns the action, in plain text for the pack (HTML, PDF, email): the owner's name,
    or "No owner: X left the workspace" as the room and My actions badge it."""
    name = a.owner.full_name or a.owner.email
    if a.ownerless_since:
        return f"No owner: {name} left the workspace"
    return name


@register.filter
def duration(delta: timedelta | None) -> str:
    """A median of time to action in words: "45 min", "21 h 30 min", "4 days 3 h"; "not
    yet" for a stage no recommendation reached (``None``). Two units at most, the smaller
    one left out when it is zero; under a minute is "under 1 min"."""
    if delta is None:
        return "not yet"
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "under 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        head = f"{days} day{'s' if days != 1 else ''}"
        return f"{head} {hours} h" if hours else head
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"
