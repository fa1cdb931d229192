"""Write use-cases for planning and preparing sessions (DESIGN.md §3, steps 1–2).

Every rule of the gatekeeping is here: no invitation without an allowing outreach request,
decisions only by the contact's account owner, waivers only by admins with a reason, all
audited. Emails leave only after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from traction.core import audit, clock, permissions
from traction.core.errors import DomainError, NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.core.writes import save_new, validate
from traction.customers.models import Contact
from traction.programs.models import Program

from . import agenda as templates
from .models import (
    AgendaItem,
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Participant,
    ParticipantRole,
    QuestionVote,
    RsvpStatus,
    Session,
    SessionKind,
    SessionStatus,
    TopQuestion,
)


class OutreachRequired(DomainError):
    """Refused: a contact is invited only behind an approved (or waived) outreach request."""

    status = 409


SESSION_FIELDS = ["title", "kind", "starts_at", "ends_at", "time_zone", "location", "video_link"]
# A change to any of these changes the calendar event: invitees get an update.
CALENDAR_FIELDS = {"title", "starts_at", "ends_at", "time_zone", "location", "video_link"}


def _notify(user_id: int | None, workspace_id: int, text: str, link: str) -> None:
    from traction.accounts.models import Notice

    if user_id is not None:
        Notice.objects.create(
            workspace_id=workspace_id, user_id=user_id, text=text[:300], link=link
        )


def _on_commit(task: Any, *args: Any) -> None:
    transaction.on_commit(lambda: task.enqueue(*args))


def _slug(workspace_id: int) -> str:
    from traction.accounts.models import Workspace

    return Workspace.objects.only("slug").get(pk=workspace_id).slug


def _open(session: Session) -> None:
    if session.is_cancelled:
        raise ValidationFailed.field("__all__", "This session is cancelled.")
    if session.has_ended:
        raise ValidationFailed.field("__all__", "This session is over.")


# --- sessions and agendas ---------------------------------------------------------------------


@transaction.atomic
def plan_session(
    actor: Viewer,
    *,
    program: Program,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    time_zone: str = "UTC",
    kind: str = SessionKind.CO_DESIGN,
    location: str = "",
    video_link: str = "",
    use_template: bool = True,
) -> Session:
    """A new session in a program, with the agenda template of its kind."""
    permissions.check(actor, "session.plan")
    permissions.check(actor, "program.view", program)
    clock.zone(time_zone)
    session = save_new(
        Session(
            workspace_id=actor.workspace_id,
            program=program,
            kind=kind,
            title=title.strip(),
            starts_at=clock.in_zone(starts_at, time_zone),
            ends_at=clock.in_zone(ends_at, time_zone),
            time_zone=time_zone,
            location=location.strip(),
            video_link=video_link.strip(),
            created_by_id=actor.user_id,
        )
    )
    if use_template:
        AgendaItem.objects.bulk_create(
            AgendaItem(session=session, position=i, title=t.title, minutes=t.minutes, notes=t.notes)
            for i, t in enumerate(templates.TEMPLATES.get(kind, []), start=1)
        )
    audit.record(
        actor,
        action="session.planned",
        obj=session,
        changes=audit.snapshot(session, SESSION_FIELDS),
    )
    return session


@transaction.atomic
def update_session(
    actor: Viewer, *, session: Session, changes: dict[str, Any], version: int | None = None
) -> Session:
    """Change a session; a change to its time, place or link sends invitees an update."""
    from .tasks import deliver_invitation

    permissions.check(actor, "session.plan", session)
    refused = sorted(set(changes) - set(SESSION_FIELDS))
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    session = Session.objects.select_for_update().get(pk=session.pk)
    if version is not None and version != session.version:
        from traction.core.errors import Conflict

        raise Conflict("This session was changed by someone else since you opened it. Reload it.")
    _open(session)
    tz_name = changes.get("time_zone", session.time_zone)
    for key in ("starts_at", "ends_at"):
        if key in changes and isinstance(changes[key], datetime):
            changes[key] = clock.in_zone(changes[key], tz_name)
    before = audit.snapshot(session, SESSION_FIELDS)
    for name, value in changes.items():
        setattr(
            session,
            name,
            value.strip() if isinstance(value, str) and name != "time_zone" else value,
        )
    validate(session)
    delta = audit.diff(before, audit.snapshot(session, SESSION_FIELDS))
    if not delta:
        return session
    calendar_changed = bool(CALENDAR_FIELDS & set(delta))
    if calendar_changed:
        session.calendar_sequence += 1
    session.version += 1
    session.save()
    audit.record(actor, action="session.changed", obj=session, changes=delta)
    if calendar_changed:
        for invitation in session.invitations.exclude(rsvp=RsvpStatus.DECLINED):
            _on_commit(deliver_invitation, invitation.pk, "update")
    return session


@transaction.atomic
def cancel_session(actor: Viewer, *, session: Session, reason: str) -> Session:
    """Cancel a session; every invitee gets a calendar cancellation."""
    from .tasks import deliver_invitation

    permissions.check(actor, "session.plan", session)
    if not reason.strip():
        raise ValidationFailed.field("reason", "Say why the session is cancelled.")
    session = Session.objects.select_for_update().get(pk=session.pk)
    _open(session)
    session.status = SessionStatus.CANCELLED
    session.calendar_sequence += 1
    session.version += 1
    session.save()
    audit.record(actor, action="session.cancelled", obj=session, reason=reason.strip())
    for invitation in session.invitations.all():
        _on_commit(deliver_invitation, invitation.pk, "cancel")
    return session


@transaction.atomic
def set_agenda(
    actor: Viewer, *, session: Session, items: Sequence[dict[str, Any]]
) -> list[AgendaItem]:
    """Replace the agenda with ``items`` (title, minutes, notes), in order."""
    permissions.check(actor, "session.plan", session)
    errors: dict[str, list[str]] = {}
    for n, item in enumerate(items, start=1):
        if not str(item.get("title", "")).strip():
            errors.setdefault(f"items.{n}.title", []).append(f"Item {n} needs a title.")
        minutes = item.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 24 * 60:
            errors.setdefault(f"items.{n}.minutes", []).append(
                f"Item {n} needs minutes between 1 and 1440."
            )
    if errors:
        raise ValidationFailed(errors)
    before = [f"{i.title} ({i.minutes})" for i in session.agenda.all()]
    session.agenda.all().delete()
    created = AgendaItem.objects.bulk_create(
        AgendaItem(
            session=session,
            position=n,
            title=str(item["title"]).strip()[:160],
            minutes=int(item["minutes"]),
            notes=str(item.get("notes", "")).strip()[:300],
        )
        for n, item in enumerate(items, start=1)
    )
    after = [f"{i.title} ({i.minutes})" for i in created]
    if before != after:
        audit.record(
            actor, action="session.agenda_changed", obj=session, changes={"agenda": [before, after]}
        )
    return created


@transaction.atomic
def link_practice(actor: Viewer, *, session: Session, practice: Session | None) -> Session:
    """Name the practice session that rehearses ``session`` (or none)."""
    permissions.check(actor, "session.plan", session)
    if practice is not None:
        permissions.check(actor, "session.plan", practice)
        if practice.kind != SessionKind.PRACTICE:
            raise ValidationFailed.field(
                "practice", "Choose a session of the kind “Practice session”."
            )
        if practice.program_id != session.program_id or practice.pk == session.pk:
            raise ValidationFailed.field(
                "practice", "The practice session must belong to the same program."
            )
        if practice.starts_at >= session.starts_at:
            raise ValidationFailed.field(
                "practice", "The practice session must come before the session."
            )
    session.practice = practice
    session.save(update_fields=["practice", "updated_at"])
    audit.record(
        actor,
        action="session.practice_linked",
        obj=session,
        changes={"practice": practice.pk if practice else None},
    )
    return session


# --- gatekeeping ------------------------------------------------------------------------------


def _decide_link(request: OutreachRequest) -> str:
    return reverse("sessions:outreach_detail", args=[_slug(request.workspace_id), request.pk])


@transaction.atomic
def request_outreach(
    actor: Viewer, *, session: Session, contact: Contact, message: str = ""
) -> OutreachRequest:
    """Ask the contact's account owner for permission to invite them to ``session``.

    A request by the account owner themself is approved at once.
    """
    from .tasks import deliver_outreach_request

    permissions.check(actor, "session.view", session)
    permissions.check(actor, "outreach.request", contact)
    if contact.workspace_id != session.workspace_id:
        raise NotFound()
    _open(session)
    if not contact.consent_to_contact:
        raise ValidationFailed.field(
            "contact_id",
            f"{contact.name} has not agreed to be contacted; record their consent first.",
        )
    owner_id = contact.customer.account_owner_id
    if owner_id is None:
        raise ValidationFailed.field(
            "contact_id",
            f"{contact.customer.name} has no account owner to approve outreach; assign one first.",
        )
    if OutreachRequest.objects.filter(session=session, contact=contact).exists():
        raise ValidationFailed.field(
            "contact_id", f"{contact.name} has already been requested for this session."
        )
    request = OutreachRequest.objects.create(
        workspace_id=session.workspace_id,
        session=session,
        contact=contact,
        account_owner_id=owner_id,
        requested_by_id=actor.user_id,
        message=message.strip(),
    )
    audit.record(
        actor,
        action="outreach.requested",
        obj=request,
        changes={"contact": contact.email, "owner": owner_id},
    )
    if owner_id == actor.user_id:
        request.status = OutreachStatus.APPROVED
        request.decided_by_id = actor.user_id
        request.decided_at = timezone.now()
        request.save()
        audit.record(
            actor, action="outreach.approved", obj=request, reason="Requested by the account owner."
        )
        return request
    link = _decide_link(request)
    _notify(
        owner_id,
        session.workspace_id,
        f"Approval needed: invite {contact.name} ({contact.customer.name}) to “{session.title}”.",
        link,
    )
    _on_commit(deliver_outreach_request, request.pk, link)
    return request


@transaction.atomic
def decide_outreach(
    actor: Viewer,
    *,
    request: OutreachRequest,
    approve: bool,
    conditions: str = "",
    reason: str = "",
) -> OutreachRequest:
    """The account owner approves (optionally with conditions) or declines with a reason."""
    from .tasks import deliver_outreach_decision

    permissions.check(actor, "outreach.decide", request)
    request = OutreachRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != OutreachStatus.PENDING:
        raise ValidationFailed.field(
            "__all__", f"This request is already {request.get_status_display().lower()}."
        )
    if not approve and not reason.strip():
        raise ValidationFailed.field("reason", "Say why, so the facilitator can respond.")
    request.status = OutreachStatus.APPROVED if approve else OutreachStatus.DECLINED
    request.conditions = conditions.strip() if approve else ""
    request.reason = "" if approve else reason.strip()
    request.decided_by_id = actor.user_id
    request.decided_at = timezone.now()
    request.save()
    audit.record(
        actor,
        action="outreach.approved" if approve else "outreach.declined",
        obj=request,
        changes={"conditions": request.conditions} if request.conditions else {},
        reason=request.reason,
    )
    link = _decide_link(request)
    verdict = "approved" if approve else "declined"
    _notify(
        request.requested_by_id,
        request.workspace_id,
        f"Outreach to {request.contact.name} for “{request.session.title}” was {verdict}.",
        link,
    )
    _on_commit(deliver_outreach_decision, request.pk, link)
    return request


@transaction.atomic
def waive_outreach(actor: Viewer, *, request: OutreachRequest, reason: str) -> OutreachRequest:
    """An admin lets the invitation go ahead without the owner's decision, saying why."""
    from .tasks import deliver_outreach_decision

    permissions.check(actor, "outreach.waive", request)
    if not reason.strip():
        raise ValidationFailed.field(
            "reason", "A waiver needs a reason; it is kept in the audit trail."
        )
    request = OutreachRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != OutreachStatus.PENDING:
        raise ValidationFailed.field(
            "__all__", f"This request is already {request.get_status_display().lower()}."
        )
    request.status = OutreachStatus.WAIVED
    request.reason = reason.strip()
    request.decided_by_id = actor.user_id
    request.decided_at = timezone.now()
    request.save()
    audit.record(actor, action="outreach.waived", obj=request, reason=request.reason)
    _on_commit(deliver_outreach_decision, request.pk, _decide_link(request))
    _notify(
        request.account_owner_id,
        request.workspace_id,
        f"An admin waived your approval to invite {request.contact.name} "
        f"to “{request.session.title}”.",
        _decide_link(request),
    )
    return request


# --- invitations ------------------------------------------------------------------------------


@transaction.atomic
def send_invitation(actor: Viewer, *, request: OutreachRequest) -> Invitation:
    """Invite the contact behind an approved or waived outreach request (email + .ics)."""
    from .tasks import deliver_invitation

    permissions.check(actor, "invitation.send", request)
    request = (
        OutreachRequest.objects.select_for_update()
        .select_related("session", "contact")
        .get(pk=request.pk)
    )
    if not request.allows_invitation:
        raise OutreachRequired(
            f"{request.contact.name} cannot be invited: the account owner has not approved "
            f"({request.get_status_display().lower()})."
        )
    _open(request.session)
    if Invitation.objects.filter(outreach=request).exists():
        raise ValidationFailed.field("__all__", f"{request.contact.name} is already invited.")
    invitation = Invitation.objects.create(
        workspace_id=request.workspace_id,
        session=request.session,
        outreach=request,
        contact=request.contact,
        last_sequence_sent=request.session.calendar_sequence,
    )
    audit.record(
        actor, action="invitation.sent", obj=invitation, changes={"contact": request.contact.email}
    )
    _on_commit(deliver_invitation, invitation.pk, "invite")
    return invitation


@transaction.atomic
def send_invitations(actor: Viewer, *, session: Session) -> list[Invitation]:
    """Invite every contact whose outreach allows it and who is not invited yet."""
    permissions.check(actor, "invitation.send", session)
    ready = session.outreach_requests.filter(
        status__in=[OutreachStatus.APPROVED, OutreachStatus.WAIVED], invitation__isnull=True
    )
    return [send_invitation(actor, request=r) for r in ready]


@transaction.atomic
def respond_rsvp(
    *, invitation_id: int, contact_id: int, accept: bool, note: str = ""
) -> Invitation:
    """A contact answers through their personal link (ids come from the verified token)."""
    try:
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("session")
            .get(pk=invitation_id, contact_id=contact_id)
        )
    except Invitation.DoesNotExist:
        raise NotFound("This invitation no longer exists.") from None
    if invitation.session.has_ended:
        raise NotFound("This RSVP link expired when the session ended.")
    if invitation.session.is_cancelled:
        raise ValidationFailed.field(
            "__all__", "This session was cancelled; there is nothing to answer."
        )
    invitation.rsvp = RsvpStatus.ACCEPTED if accept else RsvpStatus.DECLINED
    invitation.rsvp_note = note.strip()[:500]
    invitation.responded_at = timezone.now()
    invitation.save()
    audit.record(
        None,
        action="invitation.accepted" if accept else "invitation.declined",
        obj=invitation,
        changes={"note": invitation.rsvp_note} if invitation.rsvp_note else {},
    )
    return invitation


# --- internal participants, briefings, practice -------------------------------------------------


@transaction.atomic
def add_participant(actor: Viewer, *, session: Session, user_id: int, role: str) -> Participant:
    from traction.accounts.models import Membership

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
        _notify(
            user_id,
            session.workspace_id,
            f"You are {participant.get_role_display().lower()} in “{session.title}”: "
            "read your briefing.",
            reverse("sessions:briefing", args=[_slug(session.workspace_id), session.pk]),
        )
    return participant


@transaction.atomic
def remove_participant(actor: Viewer, *, participant: Participant) -> None:
    permissions.check(actor, "participant.manage", participant.session)
    audit.record(
        actor,
        action="participant.removed",
        obj=participant.session,
        changes={"user": participant.user_id},
    )
    participant.delete()


@transaction.atomic
def acknowledge_briefing(actor: Viewer, *, participant: Participant) -> Participant:
    """The participant confirms they read their briefing (rules, agenda, customers, conditions)."""
    permissions.check(actor, "briefing.acknowledge", participant)
    if participant.briefing_acknowledged_at is None:
        participant.briefing_acknowledged_at = timezone.now()
        participant.save(update_fields=["briefing_acknowledged_at"])
        audit.record(actor, action="briefing.acknowledged", obj=participant.session)
    return participant


@transaction.atomic
def record_practice_attendance(
    actor: Viewer, *, participant: Participant, attended: bool
) -> Participant:
    permissions.check(actor, "practice.record", participant.session)
    session = participant.session
    if session.practice is None:
        raise ValidationFailed.field("__all__", "Link a practice session to this session first.")
    if session.practice.starts_at > timezone.now():
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


# --- top questions ----------------------------------------------------------------------------


@transaction.atomic
def submit_question(actor: Viewer, *, session: Session, text: str) -> TopQuestion:
    permissions.check(actor, "question.ask", session)
    _open(session)
    text = text.strip()
    if not text:
        raise ValidationFailed.field("text", "Write the question you want to ask the customers.")
    if len(text) > 300:
        raise ValidationFailed.field("text", "Keep the question under 300 characters.")
    question = TopQuestion.objects.create(session=session, author_id=actor.user_id, text=text)
    audit.record(actor, action="question.submitted", obj=session, changes={"question": text})
    return question


@transaction.atomic
def vote_question(actor: Viewer, *, question: TopQuestion, up: bool = True) -> int:
    """Upvote (or take back the upvote of) a question; returns its vote count."""
    permissions.check(actor, "question.ask", question.session)
    if up:
        QuestionVote.objects.get_or_create(question=question, user_id=actor.user_id)
    else:
        QuestionVote.objects.filter(question=question, user_id=actor.user_id).delete()
    return question.votes.count()


@transaction.atomic
def pick_questions(
    actor: Viewer, *, session: Session, question_ids: Sequence[int]
) -> list[TopQuestion]:
    """The facilitator picks which questions are asked, in this order; the rest are not."""
    permissions.check(actor, "question.pick", session)
    ids = list(dict.fromkeys(question_ids))
    known = set(session.questions.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValidationFailed.field("question_ids", f"Not questions of this session: {unknown}.")
    session.questions.update(picked=False, position=None)
    for position, qid in enumerate(ids, start=1):
        TopQuestion.objects.filter(pk=qid).update(picked=True, position=position)
    audit.record(actor, action="questions.picked", obj=session, changes={"picked": ids})
    return list(session.questions.filter(picked=True).order_by("position"))
