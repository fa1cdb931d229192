"""Use-cases that invite contacts and record their answers: send an invitation behind an
allowing outreach request (refused with `OutreachRequired` otherwise), invite several contacts
at once (all or nothing), and record a contact's RSVP from their personal link.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from traction.core import audit, clock, permissions
from traction.core.errors import DomainError, NotFound, ValidationFailed
from traction.core.permissions import CustomerPrincipal, Viewer
from traction.customers import reach
from traction.sessions.models import (
    DeliveryStatus,
    Invitation,
    OutreachRequest,
    OutreachStatus,
    RsvpStatus,
    Session,
)

from .common import queue_on_commit, require_open
from .history import publish_declined
from .rsvps import answers_limited, record_answer


class OutreachRequired(DomainError):
    """Refused: a contact is invited only behind an approved (or waived) outreach request."""

    status = 409


# --- invitations ------------------------------------------------------------------------------


@transaction.atomic
def send_invitation(actor: Viewer, *, request: OutreachRequest) -> Invitation:
    """Invite the contact behind an approved or waived outreach request (email + .ics)."""
    from traction.sessions.tasks import deliver_invitation

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
    require_open(request.session)
    if request.contact.is_archived:
        raise ValidationFailed.field(
            "__all__", f"{request.contact.name} is archived; restore them before inviting them."
        )
    if Invitation.objects.filter(outreach=request).exists():
        raise ValidationFailed.field("__all__", f"{request.contact.name} is already invited.")
    stopped = reach.why_not_mail(request.contact)
    if stopped:
        raise ValidationFailed.field(
            "__all__", f"{request.contact.name} cannot be invited: {stopped}."
        )
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
    queue_on_commit(deliver_invitation, invitation.pk, "invite")
    return invitation


@transaction.atomic
def resend_invitation(actor: Viewer, *, invitation: Invitation) -> Invitation:
    """Send the invitation email again (e.g. after the address was corrected), with the
    session as it is now. Its delivery shows "Sending" until the mail server takes it."""
    from traction.sessions.tasks import deliver_invitation

    permissions.check(actor, "invitation.send", invitation.session)
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("session", "contact")
        .get(pk=invitation.pk)
    )
    require_open(invitation.session)
    contact = invitation.contact
    if invitation.rsvp == RsvpStatus.DECLINED:
        raise ValidationFailed.field("__all__", f"{contact.name} declined; nothing to send.")
    if contact.is_archived or not contact.has_address:
        raise ValidationFailed.field(
            "__all__", f"{contact.name} has no address to write to; update the contact first."
        )
    stopped = reach.why_not_mail(contact)
    if stopped:
        # Refused, not sent anyway: the contact asked to hear nothing more from the
        # workspace (or mail to them bounces); a member who knows better records so first.
        raise ValidationFailed.field(
            "__all__", f"Nothing was sent: {contact.name} cannot be emailed ({stopped})."
        )
    invitation.delivery = DeliveryStatus.QUEUED
    invitation.delivery_error = ""
    invitation.save(update_fields=["delivery", "delivery_error"])
    audit.record(actor, action="invitation.resent", obj=invitation)
    kind = "reconfirm" if invitation.rsvp == RsvpStatus.RECONFIRM else "invite"
    queue_on_commit(deliver_invitation, invitation.pk, kind)
    return invitation


@transaction.atomic
def send_invitations(
    actor: Viewer, *, session: Session, contact_ids: Sequence[int] | None = None
) -> list[Invitation]:
    """Invite several contacts as one use-case: exactly ``contact_ids`` (each once, in the
    order given), or by default every contact whose outreach allows it and who is not invited
    yet.

    All or nothing: every contact is checked as ``send_invitation`` checks one, the
    invitations are written in one transaction and their emails are queued only when it
    commits; a single refusal (no outreach request, not approved, archived, already invited)
    leaves no invitation and sends no email.
    """
    permissions.check(actor, "invitation.send", session)
    if contact_ids is None:
        requests = list(
            session.outreach_requests.filter(
                status__in=[OutreachStatus.APPROVED, OutreachStatus.WAIVED],
                invitation__isnull=True,
            ).select_related("contact")
        )
        # Everyone who may be invited: a contact no email may go to (unsubscribed from all
        # mail, unreachable) is left out here, and refused by name when picked explicitly.
        stopped = reach.why_not_mail_many(r.contact for r in requests)
        requests = [r for r in requests if r.contact_id not in stopped]
    else:
        wanted = list(dict.fromkeys(contact_ids))
        found = {
            r.contact_id: r
            for r in permissions.scope(
                actor,
                "invitation.send",
                OutreachRequest.objects.filter(session=session, contact_id__in=wanted),
            )
        }
        missing = [c for c in wanted if c not in found]
        if missing:
            raise NotFound(f"No outreach request for contact(s) {missing} in this session.")
        requests = [found[c] for c in wanted]
    return [send_invitation(actor, request=r) for r in requests]


@transaction.atomic
def respond_rsvp(actor: CustomerPrincipal, *, accept: bool, note: str = "") -> Invitation:
    """A customer contact answers their own invitation through their personal link
    (``invitation.answer``: the invitation the link is bound to, and no other). The same
    answer (and note) again records nothing; at most ``rsvps.ANSWERS_PER_HOUR`` answers an
    hour (``answers_limited``)."""
    try:
        invitation = permissions.get(
            actor,
            "invitation.answer",
            Invitation.objects.select_for_update().select_related("session"),
            pk=actor.invitation_id,
        )
    except NotFound:
        raise NotFound("This invitation no longer exists.") from None
    if invitation.session.has_ended:
        raise NotFound("This RSVP link expired when the session ended.")
    if invitation.session.is_cancelled:
        raise ValidationFailed.field(
            "__all__", "This session was cancelled; there is nothing to answer."
        )
    was = invitation.rsvp
    rsvp = RsvpStatus.ACCEPTED if accept else RsvpStatus.DECLINED
    note = note.strip()[:500]
    if (was, invitation.rsvp_note) == (rsvp, note):
        return invitation  # the same answer again (a second click, a reload): nothing new
    answers_limited(invitation)
    invitation.rsvp = rsvp
    invitation.rsvp_note = note
    invitation.responded_at = clock.now()
    invitation.save()
    audit.record(
        actor,
        action="invitation.accepted" if accept else "invitation.declined",
        obj=invitation,
        changes={"note": invitation.rsvp_note} if invitation.rsvp_note else {},
    )
    if not accept and was != RsvpStatus.DECLINED:
        publish_declined(actor, invitation)
    record_answer(invitation)
    return invitation
