"""What customers actually hear of the cards a recommendation cites: the customer-facing
status published for each of them (docs/loop.md). Closing the loop, an app above this one,
owns those statuses and registers its reader here (``register``); the room asks through
``published`` and never derives them. Without a reader nothing is a customer priority."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

# reader(program_id, insight_ids) → {insight_id: published status as customers read it, or ""
# when none is published yet}, for those of ``insight_ids`` that are customer priorities.
Reader = Callable[[int, Collection[int]], dict[int, str]]
# where(workspace_slug, program_id) → the page where a status is proposed; the room adds
# ``?priority=<card id>`` for the one card not told yet, which that page preselects.
Where = Callable[[str, int], str]


@dataclass
class _Registry:
    reader: Reader | None = None
    where: Where | None = None


_registry = _Registry()


def register(reader: Reader, where: Where) -> None:
    _registry.reader = reader
    _registry.where = where


def published(program_id: int, insight_ids: Collection[int]) -> dict[int, str]:
    """Of ``insight_ids``, those that are customer priorities of the program, each with the
    status customers read now ("" when none is published)."""
    if _registry.reader is None or not insight_ids:
        return {}
    return _registry.reader(program_id, insight_ids)


def propose_url(workspace_slug: str, program_id: int) -> str:
    """The page where a status of the program's priorities is proposed ("" without one); a
    card's link adds ``?priority=<its id>``."""
    return _registry.where(workspace_slug, program_id) if _registry.where else ""
