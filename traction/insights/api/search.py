"""API operations: search."""

from ninja import Router

router = Router(tags=["insights"])
