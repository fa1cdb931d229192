from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from traction.core import dashboard, permissions
from traction.core.permissions import Viewer

from . import selectors
from .models import Workspace


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The workspace switcher and what the navigation may show to this viewer."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    viewer = getattr(request, "viewer", None)
    context: dict[str, Any] = {"my_memberships": list(selectors.memberships_of(user))}
    if viewer is not None:
        current = next(
            (
                m.workspace
                for m in context["my_memberships"]
                if m.workspace_id == viewer.workspace_id
            ),
            None,
        )
        context.update(
            viewer=viewer,
            current_workspace=current or Workspace.objects.get(pk=viewer.workspace_id),
            nav={
                action: permissions.registry.get(action).scope_for(viewer.role) is not None
                for action in (
                    "program.view",
                    "session.view",
                    "insight.view",
                    "customer.view",
                    "outreach.view",
                    "outreach.decide",
                    "member.view",
                    "member.manage",
                    "audit.view",
                )
            },
            **_badges(viewer),
        )
    return context


def _badges(viewer: Viewer) -> dict[str, int | None]:
    """Counts for the navigation: unread notices, approvals waiting for this viewer.

    Counted in a request scope of their own: the navigation asking the permission layer
    must not count as the page's own permission check (DefaultDenyMiddleware).
    """
    token = permissions.begin_request()
    try:
        return {
            "unread_notices": selectors.notices(viewer, unread=True).count(),
            "pending_approvals": dashboard.figure(viewer, "pending_approvals"),
        }
    finally:
        permissions.end_request(token)
