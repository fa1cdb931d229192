"""What the loop's API routers share (``api`` for statuses, ``api_updates`` for updates):
the fields of an account owner's approval, whatever it approves, and of its turnaround."""

from __future__ import annotations

from typing import Any

from .models import Approval
from .services.updates import Turnaround


def approval_fields(a: Approval) -> dict[str, Any]:
    """The approval as both ``PriorityApprovalOut`` and ``UpdateApprovalOut`` start."""
    return {
        "id": a.pk,
        "customer_id": a.customer_id,
        "customer": a.customer.name,
        "account_owner_id": a.account_owner_id,
        "state": a.state,
        "by_id": a.by_id,
        "at": a.at,
        "reason": a.reason,
    }


def turnaround_fields(found: Turnaround) -> dict[str, Any]:
    """How long account owners took, asked to approved, in seconds (``services.updates.
    turnaround``): the shape of ``UpdateTurnaroundOut`` and ``StatusTurnaroundOut``."""
    return {
        "decided": found.decided,
        "median_seconds": found.median.total_seconds() if found.median is not None else None,
        "slowest_seconds": found.slowest.total_seconds() if found.slowest is not None else None,
    }
