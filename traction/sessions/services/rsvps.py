"""What the facilitators hear about customers' RSVPs, and the RSVPs a new time asks again.

- Each answer a customer gives through their RSVP link is kept (``RsvpAnswer``) and becomes
  a notice to the session's facilitators; a facilitator who chose "each answer" also gets
  an email at once, one who chose "daily digest" (the default) gets it in the day's digest
  (``tasks.send_rsvp_digests``), one who chose "none" only the notice. Which answers each
  facilitator was emailed about is recorded (``RsvpAnswerEmail``), so none is sent twice.
- Invitations still unanswered when the session is at most ``UNANSWERED_WARNING`` away are
  flagged on the session page and, once, as a notice to each facilitator
  (``flag_unanswered``, run by the periodic task).
- Moving a session asks the customers who had accepted to confirm the new time: their RSVP
  becomes "asked to confirm the new time" (``request_reconfirmation``).

The session's facilitators are its current participants in the facilitator role; a session
without one is facilitated by whoever planned it (while they are a member).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.sessions.models import (
    UNANSWERED,
    Invitation,
    Participant,
    ParticipantRole,
    RsvpAnswer,
    RsvpEmailPreference,
    RsvpEmails,
    RsvpStatus,
    Session,
    SessionKind,
    SessionStatus,
)
from traction.sessions.selectors import UNANSWERED_WARNING, unanswered_flag

from .common import notify, queue_on_commit, resolve_notices, workspace_slug_of

# How many answers one invitation may give in an hour (an RSVP link is public: whoever holds
# a forwarded invitation could otherwise notify and email the facilitators without end).
ANSWERS_PER_HOUR = 10


def unanswered_action(session_id: int) -> str:
    """The notice that flags a session's unanswered invitations (one per facilitator)."""
    return f"rsvp.unanswered:{session_id}"


# --- who hears, and how ------------------------------------------------------------------------


def facilitator_ids(session: Session) -> list[int]:
    """The members told about the session's RSVPs: its current facilitators, else (none
    named yet) whoever planned it, while they are a member of the workspace."""
    from traction.accounts.models import Membership

    ids = list(
        Participant.objects.filter(session_id=session.pk, role=ParticipantRole.FACILITATOR)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    if ids:
        return ids
    planner = session.created_by_id
    if (
        planner is not None
        and Membership.objects.filter(workspace_id=session.workspace_id, user_id=planner).exists()
    ):
        return [planner]
    return []


def rsvp_emails_of(workspace_id: int, user_ids: list[int]) -> dict[int, str]:
    """Each member's choice of RSVP emails (the default, a daily digest, when not chosen)."""
    chosen = dict(
        RsvpEmailPreference.objects.filter(
            workspace_id=workspace_id, user_id__in=user_ids
        ).values_list("user_id", "rsvp_emails")
    )
    return {uid: chosen.get(uid, RsvpEmails.DIGEST) for uid in user_ids}


def rsvp_emails_for(viewer: Viewer) -> str:
    """The viewer's own choice (for their settings page)."""
    permissions.check(viewer, "rsvp_emails.choose")
    assert viewer.user_id is not None
    return rsvp_emails_of(viewer.workspace_id, [viewer.user_id])[viewer.user_id]


@transaction.atomic
def choose_rsvp_emails(actor: Viewer, *, rsvp_emails: str) -> str:
    """The member chooses how they hear by email about RSVPs: each answer, a daily digest,
    or none (the notices come whatever they choose)."""
    permissions.check(actor, "rsvp_emails.choose")
    if rsvp_emails not in RsvpEmails.values:
        raise ValidationFailed.field(
            "rsvp_emails", "Choose each answer, a daily digest or no emails."
        )
    assert actor.user_id is not None
    before = rsvp_emails_of(actor.workspace_id, [actor.user_id])[actor.user_id]
    preference, _ = RsvpEmailPreference.objects.select_for_update().get_or_create(
        workspace_id=actor.workspace_id, user_id=actor.user_id
    )
    if before != rsvp_emails or preference.rsvp_emails != rsvp_emails:
        preference.rsvp_emails = rsvp_emails
        preference.save(update_fields=["rsvp_emails"])
    if before != rsvp_emails:
        audit.record(
            actor,
            action="rsvp_emails.chosen",
            obj=preference,
            changes={"rsvp_emails": [before, rsvp_emails]},
        )
    return rsvp_emails


# --- an answer -----------------------------------------------------------------------------------


def answer_text(answer: RsvpAnswer) -> str:
    """One line about an answer: "Gina Globex (Globex) accepted: “note”"."""
    contact = answer.invitation.contact
    verb = {
        RsvpStatus.ACCEPTED: "accepted",
        RsvpStatus.DECLINED: "declined",
    }.get(RsvpStatus(answer.rsvp), answer.get_rsvp_display().lower())
    text = f"{contact.name} ({contact.customer.name}) {verb}"
    return f"{text}: “{answer.note}”" if answer.note else text


def answers_limited(invitation: Invitation) -> None:
    """Refuse an answer past ``ANSWERS_PER_HOUR`` of this invitation in the last hour:
    nothing is recorded and nobody is told, as the message says."""
    since = clock.now() - timedelta(hours=1)
    recent = RsvpAnswer.objects.filter(invitation=invitation, answered_at__gt=since).count()
    if recent >= ANSWERS_PER_HOUR:
        raise ValidationFailed.field(
            "__all__",
            f"You have answered {recent} times in the last hour, the most we take. Please "
            "try again in an hour; nothing was recorded this time.",
        )


def record_answer(invitation: Invitation) -> RsvpAnswer:
    """Keep the customer's answer and tell the session's facilitators: a notice each, an
    email at once to those who chose "each answer" (the digest takes the others)."""
    from traction.sessions.tasks import deliver_rsvp_answer

    session = invitation.session
    answer = RsvpAnswer.objects.create(
        workspace_id=invitation.workspace_id,
        invitation=invitation,
        rsvp=invitation.rsvp,
        note=invitation.rsvp_note,
        answered_at=invitation.responded_at or clock.now(),
    )
    link = reverse("sessions:detail", args=[workspace_slug_of(session.workspace_id), session.pk])
    recipients = facilitator_ids(session)
    text = f"RSVP for “{session.title}”: {answer_text(answer)}"
    for user_id, choice in rsvp_emails_of(session.workspace_id, recipients).items():
        notify(user_id, session.workspace_id, text, link)
        if choice == RsvpEmails.EACH:
            queue_on_commit(deliver_rsvp_answer, answer.pk, user_id)
    if not session.invitations.filter(rsvp__in=UNANSWERED).exists():
        resolve_notices(unanswered_action(session.pk))  # every invitation is answered now
    return answer


# --- unanswered invitations shortly before the session -----------------------------------------


def flag_unanswered() -> int:
    """Notify each facilitator, once per session, of invitations still unanswered when the
    session is at most ``UNANSWERED_WARNING`` away. Returns the notices written."""
    from traction.accounts.models import Notice

    now = clock.now()
    due = (
        Session.objects.filter(
            status=SessionStatus.PLANNED,
            starts_at__gt=now,
            starts_at__lte=now + UNANSWERED_WARNING,
        )
        .exclude(kind=SessionKind.PRACTICE)
        .annotate(unanswered=Count("invitations", filter=Q(invitations__rsvp__in=UNANSWERED)))
        .filter(unanswered__gt=0)
        .order_by("starts_at", "pk")
    )
    written = 0
    for session in due:
        flag = unanswered_flag(session, session.unanswered)  # type: ignore[attr-defined]
        if flag is None:
            continue
        action = unanswered_action(session.pk)
        told = set(Notice.objects.filter(action=action).values_list("user_id", flat=True))
        new = [uid for uid in facilitator_ids(session) if uid not in told]
        if not new:
            continue
        link = reverse(
            "sessions:detail", args=[workspace_slug_of(session.workspace_id), session.pk]
        )
        with transaction.atomic():
            for user_id in new:
                notify(
                    user_id,
                    session.workspace_id,
                    f"“{session.title}”: {flag.text}. Remind them, or plan without them.",
                    link,
                    action=action,
                )
            audit.record(
                None,
                action="session.unanswered_flagged",
                obj=session,
                changes={"unanswered": flag.count, "told": new},
            )
        written += len(new)
    return written


# --- a new time --------------------------------------------------------------------------------


def request_reconfirmation(actor: Viewer, *, session: Session) -> list[int]:
    """The session moved: every customer who had accepted is asked to confirm the new time
    (their RSVP no longer counts as accepted). Returns their invitations' ids.

    A session moved into the past (a record of when it was held) asks nobody."""
    if session.has_ended:
        return []
    asked = []
    for invitation in session.invitations.select_for_update().filter(rsvp=RsvpStatus.ACCEPTED):
        invitation.rsvp = RsvpStatus.RECONFIRM
        invitation.save(update_fields=["rsvp"])
        audit.record(
            actor,
            action="invitation.reconfirm_requested",
            obj=invitation,
            changes={"rsvp": [RsvpStatus.ACCEPTED.value, RsvpStatus.RECONFIRM.value]},
            reason="The session moved to a new time.",
        )
        asked.append(invitation.pk)
    return asked
