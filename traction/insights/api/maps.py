"""API operations: maps."""

from ninja import Router

router = Router(tags=["insights"])
