"""Use-cases for a session's internal participants: add (or change the role of) and remove a
participant, acknowledge a briefing, and record attendance at the practice session.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.sessions.models import Participant, ParticipantRole, Session

from .common import (
    briefing_action,
    notify,
    queue_on_commit,
    resolve_notices,
    workspace_slug_of,
)

# --- internal participants, briefings, practice -------------------------------------------------


@transaction.atomic
def add_participant(actor: Viewer, *, session: Session, user_id: int, role: str) -> Participant:
    """Add a member to the session in ``role`` (or change their role). Someone new gets a
    notice to read their briefing and the session's calendar invitation (.ics) by email."""
    from traction.accounts.models import Membership
    from traction.sessions.tasks import deliver_participant_calendar

    permissions.check(actor, "participant.manage", session)
    if role not in ParticipantRole.values:
        raise ValidationFailed.field("role", f"Choose one of: {', '.join(ParticipantRole.values)}.")
    if not Membership.objects.filter(workspace_id=session.workspace_id, user_id=user_id).exists():
        raise ValidationFailed.field("user_id", "Only members of this workspace can take part.")
    participant, created = Participant.objects.get_or_create(
        workspace_id=session.workspace_id, session=session, user_id=user_id, defaults={"role": role}
    )
    if not created and participant.role != role:
        audit.record(
            actor,
            action="participant.role_changed",
            obj=session,
            changes={"user": user_id, "role": [participant.role, role]},
        )
        participant.role = role
        participant.save(update_fields=["role"])
    elif created:
        audit.record(
            actor, action="participant.added", obj=session, changes={"user": user_id, "role": role}
        )
        notify(
            user_id,
            session.workspace_id,
            f"You are {participant.get_role_display().lower()} in “{session.title}”: "
            "read your briefing.",
            reverse(
                "sessions:briefing", args=[workspace_slug_of(session.workspace_id), session.pk]
            ),
            action=briefing_action(participant.pk),
        )
        if not session.is_cancelled and not session.has_ended:
            queue_on_commit(deliver_participant_calendar, participant.pk, "invite")
    return participant


@transaction.atomic
def acknowledge_briefing(actor: Viewer, *, participant: Participant) -> Participant:
    """The participant confirms they read their briefing (rules, agenda, customers, conditions)."""
    permissions.check(actor, "briefing.acknowledge", participant)
    if participant.briefing_acknowledged_at is None:
        participant.briefing_acknowledged_at = clock.now()
        participant.save(update_fields=["briefing_acknowledged_at"])
        audit.record(actor, action="briefing.acknowledged", obj=participant.session)
    resolve_notices(briefing_action(participant.pk))
    return participant


@transaction.atomic
def record_practice_attendance(
    actor: Viewer, *, participant: Participant, attended: bool
) -> Participant:
    permissions.check(actor, "practice.record", participant.session)
    session = participant.session
    if session.practice is None:
        raise ValidationFailed.field("__all__", "Link a practice session to this session first.")
    if session.practice.starts_at > clock.now():
        raise ValidationFailed.field("__all__", "The practice session has not started yet.")
    if participant.attended_practice != attended:
        participant.attended_practice = attended
        participant.save(update_fields=["attended_practice"])
        audit.record(
            actor,
            action="practice.attendance",
            obj=session,
            changes={"user": participant.user_id, "attended": attended},
        )
    return participant
