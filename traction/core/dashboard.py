"""Figures the workspace home shows, contributed by the apps built on top of accounts.

Each app registers its own counts in ``AppConfig.ready``, so the home page (in accounts)
never imports the apps above it; their next steps are sections of the page ``"home"``
(``core.sections``) that receive a ``Home``. A figure with a ``label`` and a ``url_name`` is
also a card on the home page (``cards``); a figure without one is read by name, e.g. as the
navigation's badge (``core.navigation``) or in a home section's text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from . import permissions
from .permissions import Viewer


@dataclass(frozen=True)
class Figure:
    key: str
    action: str  # the viewer must be allowed this for the figure to show
    count: Callable[[Viewer], int]
    label: str = ""  # a card's noun, singular ("program": "2 programs you can see")
    url_name: str = ""  # where the card leads, reversed with the workspace's slug
    order: int = 100  # place among the cards, lowest first


@dataclass(frozen=True)
class Card:
    key: str
    count: int
    label: str
    url: str


@dataclass(frozen=True)
class Home:
    """What the workspace home hands its sections (``core.sections``, page ``"home"``): each
    app's next steps read the workspace's slug for links and the figures already counted."""

    workspace_slug: str
    counts: Mapping[str, int | None]


_figures: dict[str, Figure] = {}


def register(
    key: str,
    *,
    action: str,
    count: Callable[[Viewer], int],
    label: str = "",
    url_name: str = "",
    order: int = 100,
) -> None:
    _figures[key] = Figure(key, action, count, label, url_name, order)


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


def cards(workspace_slug: str, counts: Mapping[str, int | None]) -> list[Card]:
    """The home page's cards: each figure with a label that ``counts`` (from ``figures``)
    holds for this viewer, in order."""
    found = []
    for f in sorted(_figures.values(), key=lambda f: (f.order, f.key)):
        count = counts.get(f.key)
        if not f.label or not f.url_name or count is None:
            continue
        try:
            url = reverse(f.url_name, args=[workspace_slug])
        except NoReverseMatch:  # a test URLconf without the app's routes
            continue
        found.append(Card(key=f.key, count=count, label=f.label, url=url))
    return found
