"""The label that says which time zone a page's times are in.

On a workspace's pages the workspace's zone is the current one (``core.web.workspace_view``
activates it), so ``{{ e.at|date:"j M Y, H:i" }}`` already shows the workspace's wall clock;
these name it, in the debrief pages' style ("16:00 (Europe/Berlin)"):

- ``{% zone_label %}``: ``<span class="muted">(Europe/Berlin)</span>``, beside a value or in a
  column's header (``{% zone_label small=True %}`` adds ``small``);
- ``{% time_zone %}``: the name alone, for running text ("times in Europe/Berlin").

A session's times are shown in the session's own zone (``|timezone:session.time_zone``) and
labelled with it instead; those do not use these tags.
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def time_zone() -> str:
    """The zone this page shows times in: the workspace's, or UTC outside a workspace."""
    return timezone.get_current_timezone_name()


@register.simple_tag
def zone_label(*, small: bool = False) -> SafeString:
    """``(Europe/Berlin)``, muted, to stand beside a time or in a column's header."""
    css = "muted small" if small else "muted"
    return format_html('<span class="{}">({})</span>', css, timezone.get_current_timezone_name())
