"""API operations: imports."""

from ninja import Router

router = Router(tags=["insights"])
