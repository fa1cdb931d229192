"""Kept for the apps that still import ``workspace_view`` from here: the web kernel lives in
``traction.core.web`` (import it from there)."""

from traction.core.web import WorkspaceRequest, workspace_view

__all__ = ["WorkspaceRequest", "workspace_view"]
