"""Template helpers of the actions area: an action's status badges."""

from __future__ import annotations

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
