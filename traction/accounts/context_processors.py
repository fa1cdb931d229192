from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from traction.core import dashboard, permissions, web
from traction.core import navigation as main_navigation
from traction.core.permissions import Viewer

from . import selectors
from .models import Workspace


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The workspace switcher, the viewer, and the navigation the apps registered
    (``traction.core.navigation``) as this viewer sees it on this page, its badges and the
    unread notices counted in one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    viewer = web.viewer_of(request)
    # The switcher shows each workspace's name and the user's role there.
    memberships = selectors.memberships_of(user).only(
        "workspace_id", "role", "workspace__name", "workspace__slug"
    )
    context: dict[str, Any] = {"my_memberships": list(memberships)}
    if viewer is not None:
        workspace = getattr(request, "workspace", None)
        if not isinstance(workspace, web.CurrentWorkspace):  # not from a workspace_view
            workspace = next(
                (
                    m.workspace
                    for m in context["my_memberships"]
                    if m.workspace_id == viewer.workspace_id
                ),
                None,
            ) or Workspace.objects.get(pk=viewer.workspace_id)
        match = request.resolver_match
        counts = _counts(viewer)
        context.update(
            viewer=viewer,
            current_workspace=workspace,
            navigation=main_navigation.items(
                viewer, workspace.slug, match.view_name if match else None, counts=counts
            ),
            unread_notices=counts[UNREAD],
        )
    return context


UNREAD = "unread_notices"


def _counts(viewer: Viewer) -> dict[str, int | None]:
    """The navigation's badges and the Notices link's count, in one query and in a request
    scope of their own: the navigation asking the permission layer must not count as the
    page's own permission check."""
    token = permissions.begin_request()
    try:
        return dashboard.counts(
            viewer,
            main_navigation.badges(viewer),
            also={UNREAD: selectors.notices(viewer, unread=True)},
        )
    finally:
        permissions.end_request(token)
