"""Figures the workspace home shows, contributed by the apps built on top of accounts.

Each app registers its own counts in ``AppConfig.ready``, so the home page (in accounts)
never imports the apps above it. Later apps (sessions, debriefs, updates) add theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import permissions
from .permissions import Viewer


@dataclass(frozen=True)
class Figure:
    key: str
    action: str  # the viewer must be allowed this for the figure to show
    count: Callable[[Viewer], int]


_figures: dict[str, Figure] = {}


def register(key: str, *, action: str, count: Callable[[Viewer], int]) -> None:
    _figures[key] = Figure(key, action, count)


def figures(viewer: Viewer) -> dict[str, int | None]:
    """Each registered figure for this viewer; None where their role may not see that kind."""
    return {
        f.key: f.count(viewer) if permissions.allows(viewer, f.action) else None
        for f in _figures.values()
    }


def figure(viewer: Viewer, key: str) -> int | None:
    """One registered figure (e.g. for a badge in the navigation), or None."""
    f = _figures.get(key)
    if f is None or not permissions.allows(viewer, f.action):
        return None
    return f.count(viewer)
