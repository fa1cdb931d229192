"""The insights API, one router per area (maps and capture, imports, search, exports); voting
has its own app (``traction.voting.api``)."""

from ninja import Router

from traction.insights.imports import api as imports
from traction.insights.search import api as search

from . import exports, maps

router = Router()
router.add_router("", maps.router)
router.add_router("", imports.router)
router.add_router("", search.router)
router.add_router("", exports.router)
