"""What sessions do when something happens in a lower app (``core.events``), and the
use-cases that end a contact's or member's part in a session without deleting anything.

- ``customer.owner_changed``: pending outreach requests move to the new account owner (the
  former owner can no longer decide them), who gets a notice.
- ``member.removed``: the former member leaves every session they took part in (the
  participation is ended, not deleted; a later re-add makes a fresh one).
- ``contact.erased``: the old name and email are rewritten in what sessions stored as text
  (outreach messages, conditions, reasons, RSVP notes, delivery errors, top questions).
- ``contact.consent_withdrawn``: the contact declines every open invitation.

Each change is audited; ``participant.declined`` is published whenever a customer contact
stops taking part in a session, so insights can act on it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from traction.core import audit, clock, events, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import CustomerPrincipal, Viewer
from traction.customers.models import Contact, Customer
from traction.sessions.models import (
    AgendaItem,
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Participant,
    RsvpAnswer,
    RsvpStatus,
    Session,
    TopQuestion,
)

from .common import (
    decide_action,
    notify,
    queue_on_commit,
    require_open,
    resolve_notices,
    workspace_slug_of,
)
from .gatekeeping import settle_batch_notice


def move_pending_outreach(
    actor: Viewer,
    *,
    customer: Customer,
    old_owner_id: int | None,
    new_owner_id: int | None,
) -> None:
    """Pending requests for the customer's contacts follow the account to its new owner, who
    gets a notice and the approval email."""
    from traction.sessions.tasks import deliver_outreach_request

    pending = list(
        OutreachRequest.objects.select_for_update()
        .filter(contact__customer_id=customer.pk, status=OutreachStatus.PENDING)
        .exclude(account_owner_id=new_owner_id)
        .select_related("contact", "session")
    )
    for request in pending:
        before = request.account_owner_id
        request.account_owner_id = new_owner_id
        request.save(update_fields=["account_owner"])
        resolve_notices(decide_action(request.pk))  # no longer the previous owner's to decide
        settle_batch_notice(request.batch, before)
        audit.record(
            actor,
            action="outreach.reassigned",
            obj=request,
            changes={"owner": [before, new_owner_id]},
            reason=f"The account owner of {customer.name} changed.",
        )
        if new_owner_id is None:
            continue  # an admin may waive it, or the next owner decides it
        link = reverse(
            "sessions:outreach_detail", args=[workspace_slug_of(request.workspace_id), request.pk]
        )
        notify(
            new_owner_id,
            request.workspace_id,
            f"Approval needed (you now own {customer.name}): invite {request.contact.name} "
            f"to “{request.session.title}”.",
            link,
            action=decide_action(request.pk),
        )
        queue_on_commit(deliver_outreach_request, request.pk, link)


def leave_sessions(actor: Viewer, *, user_id: int) -> None:
    """A member removed from the workspace leaves every session they take part in."""
    _end_participations(
        actor,
        Participant.objects.filter(workspace_id=actor.workspace_id, user_id=user_id),
        reason="They left the workspace.",
    )


def _end_participations(
    actor: Viewer, participations: QuerySet[Participant], *, reason: str
) -> int:
    rows = list(participations.select_for_update().select_related("session"))
    now = clock.now()
    for participant in rows:
        participant.left_at = now
        participant.left_reason = reason[:200]
        participant.save(update_fields=["left_at", "left_reason"])
        audit.record(
            actor,
            action="participant.removed",
            obj=participant.session,
            changes={"user": participant.user_id, "role": participant.role},
            reason=reason,
        )
    return len(rows)


@transaction.atomic
def remove_participant(actor: Viewer, *, participant: Participant, reason: str = "") -> None:
    """Take someone off a session: the participation ends (kept as history), and the
    calendar entry they were sent is cancelled."""
    from traction.sessions.tasks import deliver_participant_calendar

    permissions.check(actor, "participant.manage", participant.session)
    ended = _end_participations(
        actor,
        Participant.objects.filter(pk=participant.pk),
        reason=reason.strip() or "Removed from the session.",
    )
    session = participant.session
    if ended and not session.is_cancelled and not session.has_ended:
        queue_on_commit(deliver_participant_calendar, participant.pk, "cancel")


def redact_erased_contact(actor: Viewer, *, contact: Contact) -> None:
    """Rewrite an erased contact's old name and email wherever sessions kept them as text."""
    replacements: dict[str, str] = getattr(contact, "erasure_replacements", {})
    if not replacements:
        return
    ws = contact.workspace_id
    texts: list[tuple[QuerySet[Any], tuple[str, ...]]] = [
        (OutreachRequest.objects.filter(workspace_id=ws), ("message", "conditions", "reason")),
        (Invitation.objects.filter(workspace_id=ws), ("rsvp_note", "delivery_error")),
        (RsvpAnswer.objects.filter(workspace_id=ws), ("note",)),
        (Session.objects.filter(workspace_id=ws), ("title", "location")),
        (AgendaItem.objects.filter(session__workspace_id=ws), ("title", "notes")),
        (Participant.history.filter(workspace_id=ws), ("left_reason",)),
        (TopQuestion.objects.filter(session__workspace_id=ws), ("text",)),
    ]
    for rows, fields in texts:
        # Only rows that mention them are loaded (the database filters), then rewritten.
        for row in rows.filter(audit.mentioning(replacements, fields)):
            _rewrite(row, fields, replacements)


def _rewrite(row: object, fields: tuple[str, ...], replacements: dict[str, str]) -> None:
    changed = {}
    for name in fields:
        old = getattr(row, name)
        new = audit.replace_texts(old, replacements)
        if new != old:
            changed[name] = new
    if changed:
        type(row)._base_manager.filter(pk=row.pk).update(**changed)  # type: ignore[attr-defined]


def decline_for_contact(actor: Viewer | None, *, invitation: Invitation, reason: str) -> bool:
    """Mark the contact's invitation declined (if it was not) and tell the higher apps.

    Used by the RSVP decline, by a withdrawn consent and by a withdrawn approval."""
    if invitation.rsvp == RsvpStatus.DECLINED:
        return False
    invitation.rsvp = RsvpStatus.DECLINED
    invitation.responded_at = clock.now()
    invitation.save(update_fields=["rsvp", "responded_at"])
    audit.record(
        actor,
        action="invitation.declined",
        obj=invitation,
        workspace_id=invitation.workspace_id,
        reason=reason,
    )
    publish_declined(actor, invitation)
    return True


def publish_declined(actor: Viewer | CustomerPrincipal | None, invitation: Invitation) -> None:
    """``participant.declined`` for a contact's invitation. The actor is the member who acted
    (withdrawn consent or approval), the contact themself, declining through their own link
    (a ``CustomerPrincipal``), or None for the system."""
    events.publish(
        "participant.declined",
        actor,
        session=invitation.session,
        contact=invitation.contact,
    )


def consent_withdrawn(actor: Viewer, *, contact: Contact) -> None:
    """The contact no longer agrees to be contacted: they decline every open invitation."""
    now = clock.now()
    for invitation in (
        Invitation.objects.select_for_update()
        .filter(contact_id=contact.pk, session__ends_at__gt=now)
        .exclude(rsvp=RsvpStatus.DECLINED)
        .select_related("session", "contact")
    ):
        decline_for_contact(actor, invitation=invitation, reason="Consent to contact withdrawn.")


@transaction.atomic
def withdraw_approval(actor: Viewer, *, request: OutreachRequest, reason: str) -> OutreachRequest:
    """The account owner takes back an approval (e.g. the customer relationship soured): the
    request becomes declined, and an invitation already sent is declined for the contact."""
    from traction.sessions.tasks import deliver_outreach_decision

    permissions.check(actor, "outreach.decide", request)
    request = (
        OutreachRequest.objects.select_for_update().select_related("session").get(pk=request.pk)
    )
    permissions.check(actor, "outreach.decide", request)  # still theirs once locked
    if request.status != OutreachStatus.APPROVED:
        raise ValidationFailed.field("__all__", "Only an approval can be withdrawn.")
    require_open(request.session)
    if not reason.strip():
        raise ValidationFailed.field("reason", "Say why, so the facilitator can respond.")
    request.status = OutreachStatus.DECLINED
    request.reason = reason.strip()
    request.decided_by_id = actor.user_id
    request.decided_at = clock.now()
    request.save()
    audit.record(actor, action="outreach.withdrawn", obj=request, reason=request.reason)
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("session", "contact")
        .filter(outreach=request)
        .first()
    )
    if invitation is not None:
        decline_for_contact(actor, invitation=invitation, reason="The account owner declined.")
    link = reverse(
        "sessions:outreach_detail", args=[workspace_slug_of(request.workspace_id), request.pk]
    )
    notify(
        request.requested_by_id,
        request.workspace_id,
        f"The approval to invite {request.contact.name} to “{request.session.title}” was "
        "withdrawn.",
        link,
    )
    queue_on_commit(deliver_outreach_decision, request.pk, link)
    return request
