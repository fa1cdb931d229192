"""Deciding an account owner's approval, whatever it approves (a status, ``publishing``; an
update, ``updates``): the owner approves (signed in, or from the signed link in the email,
``approval_links``), an admin waives with a reason, and a decision is given once. Each
subject locks its rows, checks what is its own (a replaced proposal, a newer version of the
update) and goes on once the decision is recorded (publishing, or queueing the update's
recipients); this module holds what the two share, and moves pending approvals to a
customer's new account owner (``customer.owner_changed``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from traction.core import audit, clock, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import require_length
from traction.loop.models import Approval, ApprovalEmailKind, ApprovalState

logger = logging.getLogger(__name__)

# The subject's decision: (actor, approval, state, reason) → the approval as decided.
Decide = Callable[[Viewer, Approval, str, str], Approval]

WAIVE_REASON_MAX = 2_000  # why an admin waived the account owner's approval
CHANGES_REASON_MAX = 2_000  # what the account owner asks to change


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
    require_length("reason", reason, WAIVE_REASON_MAX)
    return decide(actor, approval, ApprovalState.WAIVED, reason)


def request_changes(actor: Viewer, approval: Approval, reason: str, decide: Decide) -> Approval:
    """The account owner asks for changes instead of approving (``loop.approve``: whoever
    may approve may ask), saying what should change. Decided once, like an approval: the
    subject waits for an edit, which asks the owner again."""
    permissions.check(actor, "loop.approve", approval)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "Say what should change.")
    require_length("reason", reason, CHANGES_REASON_MAX)
    return decide(actor, approval, ApprovalState.CHANGES_REQUESTED, reason)


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


# --- the signed link in the email (``approval_links``) -----------------------------------------


def owner_viewer(approval: Approval, user_id: int) -> Viewer:
    """The account owner a signed link speaks for, as a member of the approval's workspace
    (NotFound when they are no longer one)."""
    from traction.accounts.models import Membership

    membership = (
        Membership.objects.filter(user_id=user_id, workspace_id=approval.workspace_id)
        .select_related("user")
        .first()
    )
    if membership is None or not membership.user.is_active:
        raise NotFound("This approval link no longer works.")
    return Viewer(user=membership.user, workspace_id=approval.workspace_id, role=membership.role)


def approve_by_link(token: str, kind: str, decide: Decide) -> Approval:
    """Approve from the signed link in the email: refused when tampered, expired, reused
    (decided), superseded or moved to another owner."""
    from traction.loop import approval_links

    found, owner = approval_links.open_link(token, kind)
    if found.state != ApprovalState.PENDING:
        raise ValidationFailed.field(
            "__all__", f"This approval was already given ({found.get_state_display()})."
        )
    return approve(owner_viewer(found, owner), found, decide)


def request_changes_by_link(token: str, kind: str, reason: str, decide: Decide) -> Approval:
    """Ask for changes from the signed link in the email, refused as ``approve_by_link`` is
    (the link is single use: asking decides the approval)."""
    from traction.loop import approval_links

    found, owner = approval_links.open_link(token, kind)
    if found.state != ApprovalState.PENDING:
        raise ValidationFailed.field(
            "__all__", f"This approval was already given ({found.get_state_display()})."
        )
    return request_changes(owner_viewer(found, owner), found, reason, decide)


def link_refused(token: str, why: str, kind: str) -> None:
    """Audit a refused approval link on the approval it names (its workspace), like the
    portal's refusals, as ``loop.<kind>_approval_link_refused``; a tampered token names
    nothing we trust and is only logged."""
    from traction.loop import approval_links

    found, owner = approval_links.named(token, kind)
    if found is None:
        logger.warning("Loop: refused a tampered %s approval link (%s).", kind, why)
        return
    audit.record_refusal(
        None,
        action=f"loop.{kind}_approval_link_refused",
        obj=found,
        reason=why[:300],
        changes={"owner": owner, "version": found.version, "status": found.status_id},
    )


# --- a customer's new account owner (``customer.owner_changed``) --------------------------------


def move_pending(
    actor: Viewer | None,
    *,
    customer: Any,
    old_owner_id: int | None,
    new_owner_id: int | None,
) -> None:
    """Pending approvals (statuses and updates) follow the account to its new owner, in the
    owner change's transaction: each is audited (``loop.approval_moved``), the former
    owner's notice is resolved and their signed link stops working (it names them), and
    where the subject still waits the new owner gets a notice and a fresh request by email
    (queued in the outbox) at once. With no owner left, only an admin's waiver lets it
    through."""
    from traction.loop import update_emails

    moved = list(
        Approval.objects.select_for_update(of=("self",))
        .filter(customer_id=customer.pk, state=ApprovalState.PENDING, superseded_at__isnull=True)
        .exclude(account_owner_id=new_owner_id)
        .select_related("status", "update", "customer")
        .order_by("pk")
    )
    for approval in moved:
        update_emails.resolve_notice(approval)
        approval.account_owner_id = new_owner_id
        approval.save(update_fields=["account_owner"])
        waiting = update_emails.subject_waiting(approval)
        asked = None
        if waiting and new_owner_id is not None:
            update_emails.notify_owner(approval)
            asked = update_emails.queue(approval, ApprovalEmailKind.REQUEST, [new_owner_id]).pk
        audit.record(
            actor,
            action="loop.approval_moved",
            obj=approval,
            changes={"account_owner": [old_owner_id, new_owner_id], "email": asked},
            reason=f"The account owner of {customer.name} changed.",
        )


__all__ = [
    "CHANGES_REASON_MAX",
    "Decide",
    "approve",
    "approve_by_link",
    "link_refused",
    "move_pending",
    "owner_viewer",
    "queue_again",
    "record",
    "request_changes",
    "request_changes_by_link",
    "waive",
]
