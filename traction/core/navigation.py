"""The main navigation, filled by the apps: each registers its entries in ``AppConfig.ready``
(``navigation.register(...)``), so ``base.html`` links to no app and a new app adds its tab
without touching accounts or core.

An entry shows to a viewer whose role may do its ``action``. Exactly one entry at most is
marked current: the one whose ``current`` patterns match the page's view name most precisely
(an exact ``"sessions:approvals"`` beats a namespace's ``"sessions:*"``), so the outreach
pages mark Approvals and not Sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.urls import NoReverseMatch, reverse

from . import dashboard, permissions
from .permissions import Viewer


@dataclass(frozen=True)
class Entry:
    key: str
    label: str
    url_name: str  # reversed with the workspace's slug, e.g. "programs:list"
    action: str  # the viewer's role must allow this for the entry to show
    order: int  # place in the bar, lowest first (see docs/architecture.md)
    current: tuple[str, ...]  # view names it stands for: "ns:name" or a whole "ns:*"
    badge: str | None = None  # a home figure (core.dashboard) shown as a count beside it
    badge_label: str = ""  # what the count means, for screen readers ("waiting")
    # An optional entry shows only while its badge counts something, on its own pages, or
    # to a viewer whose role may ``pinned_by`` (whose main duty the page is).
    optional: bool = False
    pinned_by: str | None = None
    # Figures of other apps the badge adds up with its own (``count_also``): Approvals counts
    # the loop's statuses and updates waiting for the owner beside outreach requests.
    also: tuple[str, ...] = ()

    @property
    def figures(self) -> tuple[str, ...]:
        return (self.badge, *self.also) if self.badge else self.also


@dataclass(frozen=True)
class Item:
    """One entry as a viewer sees it on one page."""

    key: str
    label: str
    url: str
    current: bool
    badge: int | None
    badge_label: str


_entries: dict[str, Entry] = {}


def register(
    key: str,
    *,
    label: str,
    url_name: str,
    action: str,
    order: int,
    current: tuple[str, ...] | list[str] = (),
    badge: str | None = None,
    badge_label: str = "",
    optional: bool = False,
    pinned_by: str | None = None,
) -> None:
    if key in _entries and _entries[key].url_name != url_name:
        raise ValueError(f"navigation entry {key!r} registered twice")
    _entries[key] = Entry(
        key=key,
        label=label,
        url_name=url_name,
        action=action,
        order=order,
        current=tuple(current),
        badge=badge,
        badge_label=badge_label,
        optional=optional,
        pinned_by=pinned_by,
    )


def count_also(key: str, figure: str) -> None:
    """Add the home figure ``figure`` (of an app above the one that registered the entry) to
    the badge of the entry ``key``: the two are counted as one. Call after ``register``."""
    entry = _entries[key]
    if figure not in entry.also:
        _entries[key] = replace(entry, also=(*entry.also, figure))


def entries() -> list[Entry]:
    """Every registered entry, in the order of the bar."""
    return sorted(_entries.values(), key=lambda e: (e.order, e.key))


def _precision(pattern: str, view_name: str) -> int:
    """How precisely ``pattern`` names ``view_name``: 2 exactly, 1 by its namespace, else 0."""
    if pattern == view_name:
        return 2
    namespace, _, name = pattern.rpartition(":")
    if name == "*" and view_name.rpartition(":")[0] == namespace:
        return 1
    return 0


def current_entry(view_name: str | None) -> str | None:
    """The key of the entry that stands for the page ``view_name``, or None."""
    if not view_name:
        return None
    best, found = 0, None
    for entry in entries():
        precision = max((_precision(p, view_name) for p in entry.current), default=0)
        if precision > best:
            best, found = precision, entry.key
    return found


def badges(viewer: Viewer) -> list[str]:
    """The figures (``core.dashboard``) the entries this viewer may see show as badges."""
    return [f for e in entries() if permissions.allows(viewer, e.action) for f in e.figures]


def items(
    viewer: Viewer,
    workspace_slug: str,
    view_name: str | None,
    *,
    counts: Mapping[str, int | None] | None = None,
) -> list[Item]:
    """The entries this viewer sees on the page ``view_name``, in order, with their badges:
    read from ``counts`` (``dashboard.counts`` of ``badges``) when the caller counted them,
    else counted here, all in one query.

    Badges are counted in a request scope of their own: drawing the navigation must not
    count as the page's own permission check (``DefaultDenyMiddleware``).
    """
    current = current_entry(view_name)
    shown: list[Item] = []
    token = permissions.begin_request()
    try:
        if counts is None:
            counts = dashboard.counts(viewer, badges(viewer))
        for entry in entries():
            if not permissions.allows(viewer, entry.action):
                continue
            found = [n for f in entry.figures if (n := counts.get(f)) is not None]
            badge = sum(found) if found else None
            is_current = entry.key == current
            if (
                entry.optional
                and not badge
                and not is_current
                and not (entry.pinned_by and permissions.allows(viewer, entry.pinned_by))
            ):
                continue
            try:
                url = reverse(entry.url_name, args=[workspace_slug])
            except NoReverseMatch:  # a test URLconf without the app's routes
                continue
            shown.append(
                Item(
                    key=entry.key,
                    label=entry.label,
                    url=url,
                    current=is_current,
                    badge=badge,
                    badge_label=entry.badge_label,
                )
            )
    finally:
        permissions.end_request(token)
    return shown
