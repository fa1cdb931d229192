"""Private helpers the session use-cases share: notices, on-commit tasks, the workspace slug
for links, and the guard that a session is still open (neither cancelled nor over).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.sessions.models import Session


def notify(user_id: int | None, workspace_id: int, text: str, link: str, action: str = "") -> None:
    """A notice to one member; ``action`` names what it asks (``resolve_notices`` clears it)."""
    from traction.accounts.models import Notice

    if user_id is not None:
        Notice.objects.create(
            workspace_id=workspace_id, user_id=user_id, text=text[:300], link=link, action=action
        )


def resolve_notices(*actions: str) -> int:
    """The actions notices asked for are done (by whoever did them), or no longer asked (the
    session they were for is over): those notices are no longer new."""

    from traction.accounts.models import Notice

    if not actions:
        return 0
    return Notice.objects.filter(action__in=actions, resolved_at__isnull=True).update(
        resolved_at=clock.now()
    )


def decide_action(request_id: int) -> str:
    return f"outreach.decide:{request_id}"


def batch_action(batch: object, owner_id: int) -> str:
    """The notice asking ``owner_id`` to decide their part of the requests asked together."""
    return f"outreach.decide-batch:{batch}:{owner_id}"


def briefing_action(participant_id: int) -> str:
    return f"briefing.read:{participant_id}"


def queue_on_commit(task: Any, *args: Any) -> None:
    transaction.on_commit(lambda: task.enqueue(*args))


def workspace_slug_of(workspace_id: int) -> str:
    from traction.accounts.models import Workspace

    return Workspace.objects.only("slug").get(pk=workspace_id).slug


def require_open(session: Session) -> None:
    if session.is_cancelled:
        raise ValidationFailed.field("__all__", "This session is cancelled.")
    if session.has_ended:
        raise ValidationFailed.field("__all__", "This session is over.")
