"""Sections other apps add to a page of a lower app (e.g. the program page's sessions).

An app above registers a section in ``AppConfig.ready``; the page renders every section the
viewer may see, so programs never imports sessions (tests/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import permissions
from .permissions import Principal


@dataclass(frozen=True)
class Section:
    page: str  # e.g. "program"
    key: str
    template: str  # rendered with ``section`` = the context below
    action: str  # the viewer must be allowed this for the section to show
    context: Callable[..., dict[str, Any]]  # (viewer or portal principal, obj)
    order: int = 100  # place on the page, lowest first


_sections: dict[tuple[str, str], Section] = {}


def register(
    page: str,
    key: str,
    *,
    template: str,
    action: str,
    context: Callable[..., dict[str, Any]],
    order: int = 100,
) -> None:
    _sections[(page, key)] = Section(page, key, template, action, context, order)


def for_page(page: str, viewer: Principal, obj: Any) -> list[dict[str, Any]]:
    """Each section of ``page`` the viewer may see, in order: its template and its context.

    The viewer is a member, or for the customer portal's pages (``"portal-home"``, see
    ``traction.portal.panels``) the portal's customer principal."""
    shown = sorted(
        (s for s in _sections.values() if s.page == page),
        key=lambda s: s.order,  # stable: equal orders keep the order the apps registered
    )
    return [
        {"key": s.key, "template": s.template, "context": s.context(viewer, obj)}
        for s in shown
        if permissions.allows(viewer, s.action)
    ]
