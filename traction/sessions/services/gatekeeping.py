"""Use-cases of the outreach gate: a facilitator asks a contact's account owner for permission
to invite them to a session, the owner approves (with conditions) or declines with a reason, and
an admin may waive the decision with a reason. Every step is audited and notified.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.urls import reverse

from traction.core import audit, clock, permissions
from traction.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.customers.models import Contact
from traction.sessions.models import OutreachRequest, OutreachStatus, Session

from .common import (
    decide_action,
    notify,
    queue_on_commit,
    require_open,
    resolve_notices,
    workspace_slug_of,
)

# --- gatekeeping ------------------------------------------------------------------------------


def _decide_link(request: OutreachRequest) -> str:
    return reverse(
        "sessions:outreach_detail", args=[workspace_slug_of(request.workspace_id), request.pk]
    )


@transaction.atomic
def request_outreach(
    actor: Viewer, *, session: Session, contact: Contact, message: str = ""
) -> OutreachRequest:
    """Ask the contact's account owner for permission to invite them to ``session``.

    A request by the account owner themself is approved at once.
    """
    from traction.sessions.tasks import deliver_outreach_request

    permissions.check(actor, "session.view", session)
    permissions.check(actor, "outreach.request", contact)
    if contact.workspace_id != session.workspace_id:
        raise NotFound()
    require_open(session)
    if session.is_practice:
        raise ValidationFailed.field("contact_id", Session.PRACTICE_REFUSAL)
    if contact.is_archived:
        raise ValidationFailed.field(
            "contact_id", f"{contact.name} is archived; restore them before inviting them."
        )
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
    already = f"{contact.name} has already been requested for this session."
    if OutreachRequest.objects.filter(session=session, contact=contact).exists():
        raise ValidationFailed.field("contact_id", already)
    try:
        with transaction.atomic():  # a parallel identical request: the unique constraint decides
            request = OutreachRequest.objects.create(
                workspace_id=session.workspace_id,
                session=session,
                contact=contact,
                account_owner_id=owner_id,
                requested_by_id=actor.user_id,
                message=message.strip(),
            )
    except IntegrityError:
        raise Conflict(already) from None
    audit.record(
        actor,
        action="outreach.requested",
        obj=request,
        changes={"contact": contact.email, "owner": owner_id},
    )
    if owner_id == actor.user_id:
        request.status = OutreachStatus.APPROVED
        request.decided_by_id = actor.user_id
        request.decided_at = clock.now()
        request.save()
        audit.record(
            actor, action="outreach.approved", obj=request, reason="Requested by the account owner."
        )
        return request
    link = _decide_link(request)
    notify(
        owner_id,
        session.workspace_id,
        f"Approval needed: invite {contact.name} ({contact.customer.name}) to “{session.title}”.",
        link,
        action=decide_action(request.pk),
    )
    queue_on_commit(deliver_outreach_request, request.pk, link)
    return request


@transaction.atomic
def request_outreach_for_contacts(
    actor: Viewer, *, session: Session, contacts: Sequence[Contact], message: str = ""
) -> tuple[list[OutreachRequest], dict[int, DomainError]]:
    """Ask outreach for several contacts chosen together (the web form). Each contact is its
    own request to its own account owner, so one refused (no consent, no owner, already
    requested) does not hold back the others: returns the requests made and, by contact id,
    why the others were refused. Notices and emails leave when the transaction commits."""
    made: list[OutreachRequest] = []
    refused: dict[int, DomainError] = {}
    for contact in contacts:
        try:
            made.append(request_outreach(actor, session=session, contact=contact, message=message))
        except DomainError as exc:
            refused[contact.pk] = exc
    return made, refused


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
    from traction.sessions.tasks import deliver_outreach_decision

    permissions.check(actor, "outreach.decide", request)
    request = OutreachRequest.objects.select_for_update().get(pk=request.pk)
    # Checked again on the locked row: the account may have changed owner since it was read.
    permissions.check(actor, "outreach.decide", request)
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
    request.decided_at = clock.now()
    request.save()
    resolve_notices(decide_action(request.pk))
    audit.record(
        actor,
        action="outreach.approved" if approve else "outreach.declined",
        obj=request,
        changes={"conditions": request.conditions} if request.conditions else {},
        reason=request.reason,
    )
    link = _decide_link(request)
    verdict = "approved" if approve else "declined"
    notify(
        request.requested_by_id,
        request.workspace_id,
        f"Outreach to {request.contact.name} for “{request.session.title}” was {verdict}.",
        link,
    )
    queue_on_commit(deliver_outreach_decision, request.pk, link)
    return request


@transaction.atomic
def waive_outreach(actor: Viewer, *, request: OutreachRequest, reason: str) -> OutreachRequest:
    """An admin lets the invitation go ahead without the owner's decision, saying why."""
    from traction.sessions.tasks import deliver_outreach_decision

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
    request.decided_at = clock.now()
    request.save()
    resolve_notices(decide_action(request.pk))
    audit.record(actor, action="outreach.waived", obj=request, reason=request.reason)
    queue_on_commit(deliver_outreach_decision, request.pk, _decide_link(request))
    notify(
        request.account_owner_id,
        request.workspace_id,
        f"An admin waived your approval to invite {request.contact.name} "
        f"to “{request.session.title}”.",
        _decide_link(request),
    )
    return request
