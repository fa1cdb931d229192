"""Emails of the update approvals (docs/loop.md, "Updates"): the account owner is asked (and
reminded) with the text, the exact recipients of their organisation, what changed since they
last approved and a signed approve link; admins are told when an approval waited too long.
Text and HTML parts, through Django's email; called on commit by the services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from traction.loop import update_links
from traction.loop.models import Approval, ApprovalState


def _absolute(path: str) -> str:
    return settings.TRACTION_SITE_URL.rstrip("/") + path


def _send(subject: str, template: str, context: dict[str, Any], to: list[str]) -> int:
    text = render_to_string(f"loop/email/{template}.txt", context).strip() + "\n"
    html = render_to_string(f"loop/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    message.attach_alternative(html, "text/html")
    return message.send()


def send_approval_request(approval_id: int, *, reminder: bool = False) -> int:
    """Ask (or remind) the account owner; nothing when it was decided or superseded since."""
    from traction.accounts.models import Workspace
    from traction.loop.services.updates import changes_since_approved

    found = (
        Approval.objects.filter(pk=approval_id, subject_kind="update")
        .select_related("update", "customer", "account_owner", "program")
        .first()
    )
    if (
        found is None
        or found.state != ApprovalState.PENDING
        or found.superseded_at is not None
        or found.account_owner is None
        or not found.account_owner.email
    ):
        return 0
    slug = Workspace.objects.only("slug").get(pk=found.workspace_id).slug
    context = {
        "approval": found,
        "owner": found.account_owner,
        "program": found.program,
        "snapshot": found.snapshot,
        "changes": changes_since_approved(found),
        "reminder": reminder,
        "approve_url": update_links.url_for(found, slug),
        "update_url": _absolute(reverse("loop:update", args=[slug, found.update_id])),
    }
    what = "Reminder: approve" if reminder else "Approve"
    subject = f"{what} the update to {found.customer.name}: {found.snapshot.get('subject', '')}"
    return _send(subject[:250], "update_approval", context, [found.account_owner.email])


def send_escalation(approval_id: int, admin_ids: list[int]) -> int:
    """Tell the workspace's admins an approval has waited too long (they may waive it)."""
    from traction.accounts.models import User, Workspace
    from traction.loop.services.updates import escalate_days

    found = (
        Approval.objects.filter(pk=approval_id, subject_kind="update")
        .select_related("update", "customer", "account_owner", "program")
        .first()
    )
    if found is None or found.state != ApprovalState.PENDING or found.superseded_at is not None:
        return 0
    to = list(
        User.objects.filter(pk__in=admin_ids).exclude(email="").values_list("email", flat=True)
    )
    if not to:
        return 0
    slug = Workspace.objects.only("slug").get(pk=found.workspace_id).slug
    context = {
        "approval": found,
        "days": escalate_days(),
        "program": found.program,
        "update_url": _absolute(reverse("loop:update", args=[slug, found.update_id])),
    }
    subject = f"An update to {found.customer.name} has waited {escalate_days()} days for approval"
    return _send(subject, "update_escalation", context, to)
