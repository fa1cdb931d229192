"""The debrief API, one router per area (the same areas as the pages)."""

from ninja import Router

from . import actions, clock, pack, room, scorecards

router = Router()
for area in (clock, room, actions, scorecards, pack):
    router.add_router("", area.router)
