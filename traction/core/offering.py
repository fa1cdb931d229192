"""Bounded pickers: a select or checkbox list whose options grow with the workspace (members,
contacts, programs, sessions…) lists the first ``OFFERED`` rows that match what its "Find"
box holds, plus the ones already chosen or ticked wherever they fall, so a page costs the
same queries however many rows there are. Validation stays with the whole set the caller
allows: a valid choice that is not listed is still accepted."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import QueryDict

from .guard import whole_numbers

OFFERED = 30  # rows a bounded picker lists besides those chosen
FIND_CHARS = 100  # what a "Find" box reads of what is typed

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Offered(Generic[T]):
    """A picker's options: ``rows``, what was ``typed`` to find them, whether ``more`` match
    than are listed, and whether any row not chosen ``matches`` at all."""

    rows: list[T]
    typed: str
    more: bool
    matches: bool = True
    limit: int = OFFERED


def typed_words(raw: str) -> str:
    """What a "Find" box holds, as the pickers read it."""
    return raw[:FIND_CHARS].strip()


def offer(
    among: QuerySet[M],
    matching: QuerySet[M],
    keep: Collection[int],
    *,
    typed: str,
    order: Callable[[M], Any] | None = None,
) -> Offered[M]:
    """Those of ``among`` whose primary key is in ``keep`` (the chosen or ticked), then the
    first ``OFFERED`` of ``matching`` (``among`` narrowed by what was typed, in its order)
    besides them; sorted by ``order`` if given. One query, two with any kept."""
    found = list((matching.exclude(pk__in=keep) if keep else matching)[: OFFERED + 1])
    picked = list(among.filter(pk__in=keep)) if keep else []
    rows = [*picked, *found[:OFFERED]]
    if order is not None:
        rows.sort(key=order)
    return Offered(rows, typed, len(found) > OFFERED, bool(found))


def found_again(
    sent: QueryDict, names: Iterable[str], *, ids: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The answers a "Find" reload (the form sent by GET) carries back into the form: each
    of ``names`` that was sent, as sent, and each list of ``ids`` (its name → the most read)
    as the whole numbers it holds (``guard.whole_numbers``)."""
    again: dict[str, Any] = {name: sent[name] for name in names if name in sent}
    for name, most in (ids or {}).items():
        again[name] = whole_numbers(sent.getlist(name), most=most)
    return again
