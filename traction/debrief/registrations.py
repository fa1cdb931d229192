"""Everything the debrief app plugs into the kernel and lower apps, gathered by area
(``setup/<area>.py``), so that each area registers its own; ``AppConfig.ready`` calls
``register_all``."""

from __future__ import annotations


def register_all() -> None:
    from .setup import actions, clock, pack, room, scorecards

    for area in (clock, room, actions, scorecards, pack):
        area.register()
