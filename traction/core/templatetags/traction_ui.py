"""Template helpers for the web UI. Templates make no role checks: they ask the policy.

``{% can "outreach.decide" as may_decide %}`` or ``{% can "session.plan" session as may_plan %}``
answers with ``permissions.can`` for the page's ``viewer`` (set by the navigation context
processor on every workspace page). Like ``can`` itself, asking is not a permission check:
the view still fetches through a selector or service.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from traction.core import permissions
from traction.core.permissions import CustomerPrincipal, Viewer

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context: template.Context, action: str, obj: models.Model | None = None) -> bool:
    """May the page's viewer do ``action`` (to ``obj``)? False where no one is signed in."""
    viewer: Any = context.get("viewer")
    if not isinstance(viewer, Viewer | CustomerPrincipal):
        return False
    return permissions.can(viewer, action, obj)


@register.filter
def count(value: Any) -> str:
    """A whole number with its thousands grouped, as the services write counts: 5,000,000."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
