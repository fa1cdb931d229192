from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from traction.core import permissions

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
                    "customer.view",
                    "member.view",
                    "member.manage",
                    "audit.view",
                )
            },
        )
    return context
