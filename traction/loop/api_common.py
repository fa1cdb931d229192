"""What the loop's API routers share (``api`` for statuses, ``api_updates`` for updates):
the fields of an account owner's approval, whatever it approves."""

from __future__ import annotations

from typing import Any

from .models import Approval


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
