"""Web views inside a workspace: ``/w/<workspace_slug>/…``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from traction.core.permissions import Viewer

from . import selectors

P = ParamSpec("P")
WorkspaceView = Callable[Concatenate[HttpRequest, Viewer, P], HttpResponse]


def workspace_view(view: WorkspaceView[P]) -> Callable[..., HttpResponse]:
    """Sign-in required; the URL's workspace must be one of the user's (else 404).

    The view receives the Viewer. Resolving it is identity, not permission: the view must
    still call a selector or service that checks, or the default-deny middleware refuses it.
    """

    @login_required
    @wraps(view)
    def wrapper(
        request: HttpRequest, workspace_slug: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        viewer = selectors.viewer_for(request.user, workspace_slug)  # type: ignore[arg-type]
        request.viewer = viewer  # type: ignore[attr-defined]
        request.workspace_slug = workspace_slug  # type: ignore[attr-defined]
        return view(request, viewer, *args, **kwargs)

    return wrapper
