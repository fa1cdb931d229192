"""What higher apps add to a session's readiness (the debrief adds "Debrief booked, at least
one policy maker accepted").

A higher app registers an ``Extension`` in its ``AppConfig.ready``: ``annotate`` adds what its
check needs to a queryset of sessions (annotations or ``prefetch_related``), so a list of
sessions costs the same queries whatever its length; ``check`` reads a session (annotated or
not: then it may query) and returns a ``Check``, or None when it does not apply to it.
Sessions never imports the apps above it (tests/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.db.models import QuerySet

if TYPE_CHECKING:
    from .models import Session

Q = TypeVar("Q", bound=QuerySet[Any])


@dataclass
class Check:
    key: str
    label: str
    done: bool
    detail: str


@dataclass(frozen=True)
class Extension:
    key: str
    check: Callable[[Session], Check | None]
    annotate: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None
    order: int = 100


_extensions: dict[str, Extension] = {}


def register(
    key: str,
    check: Callable[[Session], Check | None],
    *,
    annotate: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
    order: int = 100,
) -> None:
    """Add ``check`` to every session's readiness; idempotent per ``key``."""
    _extensions[key] = Extension(key, check, annotate, order)


def extensions() -> list[Extension]:
    return sorted(_extensions.values(), key=lambda e: (e.order, e.key))


def annotate(qs: Q) -> Q:
    """``qs`` with what every registered check needs."""
    for extension in extensions():
        if extension.annotate is not None:
            qs = cast(Q, extension.annotate(qs))
    return qs


def extra_checks(session: Session) -> list[Check]:
    found = (extension.check(session) for extension in extensions())
    return [c for c in found if c is not None]
