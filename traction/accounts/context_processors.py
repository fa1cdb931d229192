from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from traction.core import navigation as main_navigation
from traction.core import permissions, web
from traction.core.permissions import Viewer

from . import selectors
from .models import Workspace


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The workspace switcher, the viewer, and the navigation the apps registered
    (``traction.core.navigation``) as this viewer sees it on this page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    viewer = web.viewer_of(request)
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
        workspace = current or Workspace.objects.get(pk=viewer.workspace_id)
        match = request.resolver_match
        context.update(
            viewer=viewer,
            current_workspace=workspace,
            navigation=main_navigation.items(
                viewer, workspace.slug, match.view_name if match else None
            ),
            unread_notices=_unread_notices(viewer),
        )
    return context


def _unread_notices(viewer: Viewer) -> int:
    """The Notices link's count, in a request scope of its own: the navigation asking the
    permission layer must not count as the page's own permission check."""
    token = permissions.begin_request()
    try:
        return selectors.notices(viewer, unread=True).count()
    finally:
        permissions.end_request(token)
