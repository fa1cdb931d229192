"""The debrief API, one router per area (the same areas as the pages)."""

from ninja import Router

from traction.core.api import refuse_unknown_query

from . import actions, clock, pack, room, scorecards

router = Router()
# A query parameter a GET does not declare is refused (422 naming it), not silently ignored.
router.add_decorator(refuse_unknown_query, mode="view")
for area in (clock, room, actions, scorecards, pack):
    router.add_router("", area.router)
