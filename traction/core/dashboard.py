"""Figures the workspace home shows, contributed by the apps built on top of accounts.

Each app registers its own counts in ``AppConfig.ready``, so the home page (in accounts)
never imports the apps above it; their next steps are sections of the page ``"home"``
(``core.sections``) that receive a ``Home``. A figure with a ``label`` and a ``url_name`` is
also a card on the home page (``cards``); a figure without one is read by name, e.g. as the
navigation's badge (``core.navigation``) or in a home section's text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Func, IntegerField, QuerySet, Subquery
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
    # The rows the figure counts, when they are one queryset: then ``counts`` counts it with
    # other figures in one query (``count`` is its count alone).
    rows: Callable[[Viewer], QuerySet[Any]] | None = None


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
    count: Callable[[Viewer], int] | None = None,
    rows: Callable[[Viewer], QuerySet[Any]] | None = None,
    label: str = "",
    url_name: str = "",
    order: int = 100,
) -> None:
    """A figure counted by ``count``, or the number of ``rows`` (a queryset, neither sliced
    nor distinct), which ``counts`` can count together with other figures in one query."""
    if (count is None) == (rows is None):
        raise ValueError(f"figure {key!r}: give either count or rows")
    if count is None:
        assert rows is not None
        count = _counter(rows)
    _figures[key] = Figure(key, action, count, label, url_name, order, rows)


def _counter(rows: Callable[[Viewer], QuerySet[Any]]) -> Callable[[Viewer], int]:
    return lambda viewer: rows(viewer).count()


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


def counts(
    viewer: Viewer, keys: Iterable[str], *, also: Mapping[str, QuerySet[Any]] | None = None
) -> dict[str, int | None]:
    """The registered figures ``keys`` for this viewer (None where their role may not see
    that kind, or no such figure), and how many rows each queryset of ``also`` has (e.g. the
    navigation's badges and the unread notices): those given as rows are counted in one
    query (``count_together``), the others each by its own count."""
    found: dict[str, int | None] = {}
    together: dict[str, QuerySet[Any]] = {}
    for key in keys:
        f = _figures.get(key)
        if f is None or not permissions.allows(viewer, f.action):
            found[key] = None
        elif f.rows is not None:
            together[key] = f.rows(viewer)
        else:
            found[key] = f.count(viewer)
    together.update(also or {})
    found.update(count_together(together))
    return found


def _rows_counted() -> Func:
    return Func(F("pk"), function="COUNT", output_field=IntegerField())


def count_together(querysets: Mapping[str, QuerySet[Any]]) -> dict[str, int]:
    """How many rows each queryset (neither sliced nor distinct) has, in one query whatever
    their number: the first one's rows counted, each other's count a subquery beside it."""
    if not querysets:
        return {}
    keys = list(querysets)
    first, *others = (querysets[k].order_by() for k in keys)
    columns: dict[str, Func | Subquery] = {"n0": _rows_counted()}
    for n, qs in enumerate(others, start=1):
        columns[f"n{n}"] = Subquery(qs.values(n=_rows_counted()))
    row = first.values(**columns).get()
    return {key: row[f"n{n}"] or 0 for n, key in enumerate(keys)}


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
