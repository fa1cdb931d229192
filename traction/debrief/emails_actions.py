"""What owners and contributors hear of their action items: "you own this now" when given
one, and the reminders (not started by its planned start, due in three days, overdue).

Text and HTML (``debrief/actions/email/*``), with a link to the action. Services queue the
tasks below when their transaction commits; tasks take ids only and send what is true when
they run: an action closed meanwhile gets no reminder, a person no longer its owner or
contributor (or no longer a member) no email.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from traction.accounts.models import Membership, User
from traction.core import clock, mail
from traction.core.tasks import EMAIL_RETRY_DELAYS, is_transient

from .models import ActionItem
from .services.actions import day

logger = logging.getLogger(__name__)

# Reminder kinds (``Reminder.kind``) and their subject lines.
REMINDERS = {
    "action.not_started": "Not started yet: {title}",
    "action.due_soon": "Due {when}: {title}",
    "action.overdue": "Overdue since {due}: {title}",
}
ROLES = ("owner", "contributor")


def absolute(path: str) -> str:
    return settings.TRACTION_SITE_URL.rstrip("/") + path


def action_link(action: ActionItem) -> str:
    return absolute(reverse("debrief:action_detail", args=[action.workspace.slug, action.pk]))


def _send(user: User, subject: str, template: str, context: dict[str, Any]) -> int:
    text = render_to_string(f"debrief/actions/email/{template}.txt", context).strip() + "\n"
    html = render_to_string(f"debrief/actions/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((user.full_name, user.email))],
    )
    message.attach_alternative(html, "text/html")
    return mail.outgoing(message).send()


def _action(action_id: int) -> ActionItem | None:
    return (
        ActionItem.objects.select_related(
            "workspace", "owner", "recommendation__debrief__session", "program"
        )
        .filter(pk=action_id)
        .first()
    )


def _is_member(action: ActionItem, user_id: int) -> bool:
    return Membership.objects.filter(workspace_id=action.workspace_id, user_id=user_id).exists()


def _context(action: ActionItem, user: User) -> dict[str, Any]:
    return {
        "action": action,
        "user": user,
        "recommendation": action.recommendation,
        "program": action.program,
        "session": action.recommendation.debrief.session,
        "link": action_link(action),
    }


def send_assigned(action: ActionItem, user: User, role: str) -> int:
    """Tell ``user`` they own (or contribute to) ``action``: what, for which
    recommendation, by when, and the link."""
    what = "You own" if role == "owner" else "You contribute to"
    subject = f"{what} an action: {action.title} (due {day(action.due_on)})"
    return _send(user, subject, "assigned", {**_context(action, user), "role": role})


def send_reminder(action: ActionItem, kind: str) -> int:
    """Remind the owner (``REMINDERS``)."""
    days = (action.due_on - clock.today(action.workspace.time_zone)).days
    when = "today" if days <= 0 else "tomorrow" if days == 1 else f"in {days} days"
    subject = REMINDERS[kind].format(title=action.title, when=when, due=day(action.due_on))
    context = {**_context(action, action.owner), "kind": kind, "when": when}
    return _send(action.owner, subject, "reminder", context)


def _retry(job: Any, exc: BaseException, attempt: int, *args: Any) -> None:
    again = (
        is_transient(exc)
        and attempt <= len(EMAIL_RETRY_DELAYS)
        and job.get_backend().supports_defer
    )
    if again:
        delay = EMAIL_RETRY_DELAYS[attempt - 1]
        job.using(run_after=clock.now() + timedelta(seconds=delay)).enqueue(*args, attempt + 1)
    logger.warning("Action email %s not sent (attempt %d): %s", args, attempt, exc)


@task()
def deliver_assigned(action_id: int, user_id: int, role: str, attempt: int = 1) -> int:
    action = _action(action_id)
    if action is None or action.is_closed or role not in ROLES:
        return 0
    still = (
        action.owner_id == user_id
        if role == "owner"
        else action.contributors.filter(pk=user_id).exists()
    )
    if not still or not _is_member(action, user_id):
        return 0  # given to someone else meanwhile, or they left
    try:
        return send_assigned(action, User.objects.get(pk=user_id), role)
    except (smtplib.SMTPException, OSError) as exc:
        _retry(deliver_assigned, exc, attempt, action_id, user_id, role)
        return 0


@task()
def deliver_reminder(action_id: int, kind: str, attempt: int = 1) -> int:
    action = _action(action_id)
    if action is None or action.is_closed or kind not in REMINDERS:
        return 0
    if action.ownerless_since is not None or not _is_member(action, action.owner_id):
        return 0
    try:
        return send_reminder(action, kind)
    except (smtplib.SMTPException, OSError) as exc:
        _retry(deliver_reminder, exc, attempt, action_id, kind)
        return 0
