"""Proposing a customer-facing status and publishing it (docs/loop.md, "Statuses").

A proposal is checked by ``statuses.refusals`` (nothing the facts do not back) and asks each
affected customer's account owner to approve it (``Approval``); an admin may waive one, with
a reason. When the last approval is in, the rules are asked again and the status is
published: the history row gets ``published_at``. A newer proposal withdraws a pending one.
Every step is audited.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import check_length
from traction.loop import checker, credit, selectors, update_checker, update_emails
from traction.loop.models import (
    Approval,
    ApprovalEmailKind,
    ApprovalState,
    PriorityStatus,
    ReasonText,
    Status,
)
from traction.loop.services import approvals, statuses
from traction.loop.windows import KINDS, Window
from traction.programs.models import Program


def window_of(kind: str, start: date | None) -> Window | None:
    """The window named by a kind and any day in it; ValidationFailed for half a window."""
    if not kind and start is None:
        return None
    if kind not in KINDS:
        raise ValidationFailed.field("window_kind", "Choose a month, a quarter or a half-year.")
    if start is None:
        raise ValidationFailed.field("window_start", "Choose when the window starts.")
    return Window.of(kind, start)


def propose_status(
    actor: Viewer,
    program: Program,
    *,
    priority_id: int,
    status: str,
    window_kind: str = "",
    window_start: date | None = None,
    customer_reason: str = "",
) -> PriorityStatus:
    """Propose ``status`` for a priority of ``program``; refused with what is missing when
    the facts do not back it. Published at once when no customer is affected."""
    permissions.check(actor, "loop.propose", program)
    card = selectors.priority(actor, program, priority_id)
    reason = customer_reason.strip()
    window = window_of(window_kind, window_start)
    with transaction.atomic():
        facts = statuses.gather(card)
        errors = statuses.refusals(status, facts, window=window, reason=reason)
        if errors:
            raise ValidationFailed(errors)
        now = clock.now()
        withdrawn = PriorityStatus.objects.filter(
            priority=card, published_at__isnull=True, archived_at__isnull=True
        )
        for old in withdrawn.select_for_update():
            old.archived_at = now
            old.save(update_fields=["archived_at"])
            audit.record(actor, action="loop.status_withdrawn", obj=old)
            for replaced in old.approvals.filter(state=ApprovalState.PENDING):
                update_emails.resolve_notice(replaced)
        proposal = PriorityStatus.objects.create(
            workspace_id=program.workspace_id,
            program=program,
            priority=card,
            status=status,
            window_kind=window.kind if window else "",
            window_start=window.start if window else None,
            customer_reason=reason,
            facts=facts.snapshot(),
            proposed_by_id=actor.user_id,
        )
        asked = []
        for customer in credit.customers_of([card.pk]):
            asked.append(
                Approval.objects.create(
                    workspace_id=program.workspace_id,
                    program=program,
                    status=proposal,
                    customer=customer,
                    account_owner_id=customer.account_owner_id,
                )
            )
        audit.record(
            actor,
            action="loop.status_proposed",
            obj=proposal,
            changes={
                "priority": card.pk,
                "status": status,
                "window": window.label if window else None,
                "approvals": [a.customer_id for a in asked],
            },
        )
        for a in asked:
            if a.account_owner_id is not None:
                # Asked like an update's approval: a notice, and an email queued in this
                # transaction, sent once it commits, retried, shown on the priorities page.
                update_emails.notify_owner(a)
                update_emails.queue(a, ApprovalEmailKind.REQUEST, [a.account_owner_id])
        if not asked:
            _publish(actor, proposal)
    return proposal


def _publish(actor: Viewer | None, proposal: PriorityStatus) -> None:
    """Publish once every approval is in, if the facts still back it."""
    if proposal.approvals.filter(state=ApprovalState.PENDING).exists():
        return
    facts = statuses.gather(proposal.priority)
    errors = statuses.refusals(
        proposal.status, facts, window=proposal.window, reason=proposal.customer_reason
    )
    if errors:
        raise ValidationFailed(
            {
                "__all__": [
                    "The facts no longer back this status:",
                    *(m for ms in errors.values() for m in ms),
                ]
            }
        )
    proposal.published_at = clock.now()
    proposal.published_by_id = actor.user_id if actor else None
    proposal.facts = facts.snapshot()
    proposal.save(update_fields=["published_at", "published_by", "facts"])
    audit.record(
        actor,
        action="loop.status_published",
        obj=proposal,
        changes={"priority": proposal.priority_id, "status": proposal.status},
    )
    from traction.loop.services import radar

    radar.check_priority(proposal.priority_id)


def _decide(actor: Viewer, approval: Approval, state: str, reason: str) -> Approval:
    with transaction.atomic():
        found = Approval.objects.select_for_update().get(pk=approval.pk, subject_kind="status")
        proposal = PriorityStatus.objects.select_for_update().get(pk=found.status_id or 0)
        if proposal.archived_at is not None:
            raise ValidationFailed.field(
                "__all__", "A newer proposal replaced this one; nothing to approve."
            )
        approvals.record(
            actor,
            found,
            state,
            reason,
            action=f"loop.approval_{state}",
            changes={"status": proposal.pk, "customer": found.customer_id},
        )
        update_emails.resolve_notice(found)
        _publish(actor, proposal)
    return found


def approve(actor: Viewer, approval: Approval) -> Approval:
    """The account owner approves what their customer will be told."""
    return approvals.approve(actor, approval, _decide)


def approve_by_link(token: str) -> Approval:
    """The account owner approves from the signed link in the status approval email."""
    return approvals.approve_by_link(token, "status", _decide)


def link_refused(token: str, why: str) -> None:
    approvals.link_refused(token, why, "status")


def waive(actor: Viewer, approval: Approval, *, reason: str) -> Approval:
    """An admin lets a status through without the account owner's approval, saying why."""
    return approvals.waive(actor, approval, reason, _decide)


def send_request_again(actor: Viewer, approval: Approval) -> Approval:
    """Ask the account owner again by email when the last request or reminder was given up
    (or never finished): a member who may propose statuses checked it did not arrive."""
    permissions.check(actor, "loop.propose", approval.program)
    with transaction.atomic():
        found = Approval.objects.select_for_update().get(pk=approval.pk, subject_kind="status")
        proposal = PriorityStatus.objects.select_for_update().get(pk=found.status_id or 0)
        if (
            proposal.archived_at is not None
            or proposal.published_at is not None
            or found.state != ApprovalState.PENDING
            or found.account_owner_id is None
        ):
            raise ValidationFailed.field(
                "__all__", "This approval no longer waits for its account owner."
            )
        approvals.queue_again(actor, found, action="loop.status_approval_mail_resent")
    return found


# --- reusable reason texts -----------------------------------------------------------------


def add_reason_text(actor: Viewer, *, title: str, text: str) -> ReasonText:
    """A reusable answer for customers; it passes the same checks as any reason."""
    permissions.check(actor, "loop.reasons")
    errors: dict[str, list[str]] = {}
    title, text = " ".join((title or "").split()), (text or "").strip()
    if not title:
        errors["title"] = ["Give the reason text a short title."]
    else:
        check_length(errors, "title", title, 120)
    if not text:
        errors["text"] = ["Write the text customers will read."]
    check_length(errors, "text", text, statuses.CUSTOMER_REASON_MAX)
    problems = checker.problems(text, names=update_checker.other_names(actor.workspace_id, []))
    if problems:
        errors.setdefault("text", []).extend(problems)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        found = ReasonText.objects.create(
            workspace_id=actor.workspace_id, title=title, text=text, created_by_id=actor.user_id
        )
        audit.record(actor, action="loop.reason_text_added", obj=found, changes={"title": title})
    return found


__all__ = [
    "Status",
    "add_reason_text",
    "approve",
    "approve_by_link",
    "link_refused",
    "propose_status",
    "send_request_again",
    "waive",
    "window_of",
]
