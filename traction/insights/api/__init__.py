"""The insights API, one router per area (maps and capture, imports, voting, search)."""

from ninja import Router

from traction.insights.imports import api as imports
from traction.insights.search import api as search

from . import exports, maps, voting

router = Router()
router.add_router("", maps.router)
router.add_router("", imports.router)
router.add_router("", voting.router)
router.add_router("", search.router)
router.add_router("", exports.router)
