"""Deciding an account owner's approval, whatever it approves (a status, ``publishing``; an
update, ``updates``): the owner approves, an admin waives with a reason, and a decision is
given once. Each subject locks its rows, checks what is its own (a replaced proposal, a
newer version of the update) and goes on once the decision is recorded (publishing, or
queueing the update's recipients); this module holds what the two share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.loop.models import Approval, ApprovalState

# The subject's decision: (actor, approval, state, reason) → the approval as decided.
Decide = Callable[[Viewer, Approval, str, str], Approval]


def approve(actor: Viewer, approval: Approval, decide: Decide) -> Approval:
    """The account owner approves (``loop.approve``)."""
    permissions.check(actor, "loop.approve", approval)
    return decide(actor, approval, ApprovalState.APPROVED, "")


def waive(actor: Viewer, approval: Approval, reason: str, decide: Decide) -> Approval:
    """An admin lets it through without the account owner (``loop.waive``), saying why."""
    permissions.check(actor, "loop.waive", approval)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "Say why the account owner's approval is waived.")
    return decide(actor, approval, ApprovalState.WAIVED, reason)


def record(
    actor: Viewer, found: Approval, state: str, reason: str, *, action: str, changes: Any
) -> None:
    """Records the decision on the approval (locked by the caller) and audits it as
    ``action``; refused when it was already given."""
    if found.state != ApprovalState.PENDING:
        raise ValidationFailed.field(
            "__all__", f"This approval was already given ({found.get_state_display()})."
        )
    found.state = state
    found.by_id = actor.user_id
    found.at = clock.now()
    found.reason = reason
    found.save(update_fields=["state", "by", "at", "reason"])
    audit.record(actor, action=action, obj=found, changes=changes, reason=reason)


__all__ = ["Decide", "approve", "record", "waive"]


def queue_again(actor: Viewer, found: Approval, *, action: str) -> None:
    """Queue the last request (or reminder) to the account owner again, once it was given
    up or never finished; audited as ``action``. The caller holds the approval's lock and
    has checked it still waits for its owner."""
    from traction.loop import update_emails

    last = update_emails.latest_to_owner([found.pk]).get(found.pk)
    if last is None or not update_emails.may_send_again(last):
        raise ValidationFailed.field(
            "__all__",
            "The email to the account owner was sent or is still being tried; nothing to "
            "send again.",
        )
    update_emails.queue(found, last.kind, [found.account_owner_id])  # type: ignore[list-item]
    audit.record(actor, action=action, obj=found, changes={"email": last.pk, "was": last.state})
