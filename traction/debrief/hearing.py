"""What customers actually hear of the cards a recommendation cites: the customer-facing
status published for each of them (docs/loop.md). Closing the loop, an app above this one,
owns those statuses and registers its reader here (``register``); the room asks through
``published`` and never derives them. Without a reader nothing is a customer priority."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from traction.core.permissions import Viewer
from traction.programs.models import Program

# reader(program_id, insight_ids) → {insight_id: published status as customers read it, or ""
# when none is published yet}, for those of ``insight_ids`` that are customer priorities.
Reader = Callable[[int, Collection[int]], dict[int, str]]
# where(viewer, workspace_slug, program) → the page where the viewer may propose a status of
# the program's priorities, or "" when they may not; the room adds ``?priority=<card id>``
# for the one card not told yet, which that page preselects.
Where = Callable[[Viewer, str, Program], str]


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


def propose_url(viewer: Viewer, workspace_slug: str, program: Program) -> str:
    """The page where the viewer may propose a status of the program's priorities ("" when
    they may not, or without one); a card's link adds ``?priority=<its id>``."""
    return _registry.where(viewer, workspace_slug, program) if _registry.where else ""
