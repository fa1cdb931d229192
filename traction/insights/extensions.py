"""What a higher app adds to insights' cards without insights importing it.

Voting (``traction.voting``) spends dots on cards; the card's rules that depend on those dots
are voting's, registered from ``VotingConfig.ready`` so that imports keep pointing down the
flow (tests/test_layers.py):

- ``card_dots``: each card's dots as a query expression (the map's dot counts and heat),
  counted over the votes the viewer may see (an account owner: their own customers' votes);
  ``Value(0)`` while no app registers one.
- ``why_kept``: why a card must be kept as evidence (customers voted on it, a closed round's
  ranking holds it), asked before the card is removed; "" when nothing keeps it.
- ``check_change``: refuses a change that would break what refers to the card (a voted card
  stays votable), raising ``ValidationFailed``.
- ``merging``: acts on the cards being merged into one (dots follow the words), inside the
  merge's transaction, and returns what it did for the merge's audit event (``{"dots_moved":
  {contact id: dots}}``); raising ``ValidationFailed`` refuses the merge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import IntegerField, Value
from django.db.models.expressions import BaseExpression

from traction.core.permissions import Viewer

from .models import Insight


@dataclass(frozen=True)
class CardExtension:
    dots: Callable[[Viewer], BaseExpression] | None = None
    why_kept: Callable[[Insight], str] | None = None
    check_change: Callable[[Insight, dict[str, Any]], None] | None = None
    merging: Callable[[Viewer, Insight, Sequence[int]], dict[str, Any]] | None = None


_extensions: list[CardExtension] = []


def register(extension: CardExtension) -> None:
    """Add ``extension`` (idempotent)."""
    if extension not in _extensions:
        _extensions.append(extension)


def card_dots(viewer: Viewer) -> BaseExpression:
    """Each card's dots the viewer may count, as an expression to annotate cards with."""
    for extension in _extensions:
        if extension.dots is not None:
            return extension.dots(viewer)
    return Value(0, output_field=IntegerField())


def why_kept(insight: Insight) -> str:
    for extension in _extensions:
        reason = extension.why_kept(insight) if extension.why_kept else ""
        if reason:
            return reason
    return ""


def check_change(insight: Insight, fields: dict[str, Any]) -> None:
    for extension in _extensions:
        if extension.check_change is not None:
            extension.check_change(insight, fields)


def merging(actor: Viewer, into: Insight, merged_ids: Sequence[int]) -> dict[str, Any]:
    """What the extensions did, for the merge's audit event."""
    recorded: dict[str, Any] = {}
    for extension in _extensions:
        if extension.merging is not None:
            recorded.update(extension.merging(actor, into, merged_ids))
    return recorded
