"""API operations: voting."""

from ninja import Router

router = Router(tags=["insights"])
