"""Use-cases of the outreach gate: a facilitator asks a contact's account owner for permission
to invite them to a session, the owner approves (with conditions) or declines with a reason, and
an admin may waive the decision with a reason. Every step is audited and notified.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse

from traction.core import audit, clock, permissions
from traction.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.customers import reach
from traction.customers.models import Contact
from traction.sessions.models import OutreachRequest, OutreachStatus, Session

from .common import (
    batch_action,
    decide_action,
    notify,
    queue_on_commit,
    require_open,
    resolve_notices,
    workspace_slug_of,
)

# --- gatekeeping ------------------------------------------------------------------------------


def why_not_requestable(
    session: Session, contact: Contact, *, requested: str | None, not_mailed: str | None = None
) -> str:
    """Outreach eligibility, the one rule: why ``contact`` may not be requested for
    ``session`` ("" when they may). ``requested`` is the status of the contact's request for
    this session, if there is one. ``request_outreach`` refuses with this text and the
    outreach form greys the contact out with the same text (permissions aside: those are the
    policy's). Each reason is a whole sentence; the ones that can be fixed together (consent
    and an account owner) are given together. ``not_mailed`` is ``customers.reach``'s answer for
    the contact when the caller read it for many at once (None: read it here)."""
    if session.is_practice:
        return Session.PRACTICE_REFUSAL
    if requested is not None:
        status = OutreachStatus(requested).label.lower()
        return f"{contact.name} has already been requested for this session ({status})."
    if contact.is_archived:
        return f"{contact.name} is archived; restore them before inviting them."
    reasons = []
    if not contact.consent_to_contact:
        reasons.append(
            f"{contact.name} has not agreed to be contacted; record their consent first."
        )
    if contact.customer.account_owner_id is None:
        reasons.append(
            f"{contact.customer.name} has no account owner to approve outreach; assign one first."
        )
    stopped = reach.why_not_mail(contact) if not_mailed is None else not_mailed
    if stopped:
        # They could never be invited: no email may go to them.
        reasons.append(f"{contact.name} cannot be emailed: {stopped}.")
    return " ".join(reasons)


def requested_statuses(session: Session) -> dict[int, str]:
    """The status of each contact's request for ``session``, by contact id (what
    ``why_not_requestable`` is told)."""
    return dict(session.outreach_requests.values_list("contact_id", "status"))


def _approvals_link(request: OutreachRequest) -> str:
    """Where the owner decides the requests asked together with ``request``: Approvals, with
    only that ask."""
    base = reverse("sessions:approvals", args=[workspace_slug_of(request.workspace_id)])
    return f"{base}?batch={request.batch}"


def _decide_link(request: OutreachRequest) -> str:
    return reverse(
        "sessions:outreach_detail", args=[workspace_slug_of(request.workspace_id), request.pk]
    )


def _file(
    actor: Viewer, *, session: Session, contact: Contact, message: str, batch: uuid.UUID
) -> OutreachRequest:
    """Check, write and audit one request (approved at once when the actor owns the
    account); the owner is asked by ``_ask_owners``."""
    permissions.check(actor, "session.view", session)
    permissions.check(actor, "outreach.request", contact)
    if contact.workspace_id != session.workspace_id:
        raise NotFound()
    require_open(session)
    already = OutreachRequest.objects.filter(session=session, contact=contact)
    refusal = why_not_requestable(
        session, contact, requested=already.values_list("status", flat=True).first()
    )
    if refusal:
        raise ValidationFailed.field("contact_id", refusal)
    owner_id = contact.customer.account_owner_id
    try:
        with transaction.atomic():  # a parallel identical request: the unique constraint decides
            request = OutreachRequest.objects.create(
                workspace_id=session.workspace_id,
                session=session,
                contact=contact,
                account_owner_id=owner_id,
                requested_by_id=actor.user_id,
                message=message.strip(),
                batch=batch,
            )
    except IntegrityError:
        raise Conflict(f"{contact.name} has already been requested for this session.") from None
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


def _ask_owners(session: Session, made: Sequence[OutreachRequest]) -> None:
    """One notice and one email per account owner for their pending part of an ask."""
    from traction.sessions.tasks import deliver_outreach_requests

    by_owner: dict[int, list[OutreachRequest]] = {}
    for request in made:
        if request.status == OutreachStatus.PENDING and request.account_owner_id is not None:
            by_owner.setdefault(request.account_owner_id, []).append(request)
    for owner_id, requests in by_owner.items():
        if len(requests) == 1:  # one contact: their request's own page, and its notice
            (request,) = requests
            link = _decide_link(request)
            text = (
                f"Approval needed: invite {request.contact.name} "
                f"({request.contact.customer.name}) to “{session.title}”."
            )
            action = decide_action(request.pk)
        else:
            link = _approvals_link(requests[0])
            names = ", ".join(f"{r.contact.name} ({r.contact.customer.name})" for r in requests[:3])
            if len(requests) > 3:
                names += f" and {len(requests) - 3} more"
            text = (
                f"Approval needed: invite {len(requests)} contacts to “{session.title}”: {names}."
            )
            action = batch_action(requests[0].batch, owner_id)
        notify(owner_id, session.workspace_id, text, link, action=action)
        queue_on_commit(deliver_outreach_requests, owner_id, [r.pk for r in requests], link)


def settle_batch_notice(batch: uuid.UUID, owner_id: int | None) -> None:
    """Resolve the owner's notice for an ask once nothing of it waits for them any more
    (decided, waived, or moved to another owner)."""
    if owner_id is None:
        return
    waiting = OutreachRequest.objects.filter(
        batch=batch, account_owner_id=owner_id, status=OutreachStatus.PENDING
    )
    if not waiting.exists():
        resolve_notices(batch_action(batch, owner_id))


@transaction.atomic
def request_outreach(
    actor: Viewer, *, session: Session, contact: Contact, message: str = ""
) -> OutreachRequest:
    """Ask the contact's account owner for permission to invite them to ``session``.

    A request by the account owner themself is approved at once.
    """
    request = _file(actor, session=session, contact=contact, message=message, batch=uuid.uuid4())
    _ask_owners(session, [request])
    return request


@transaction.atomic
def request_outreach_for_contacts(
    actor: Viewer, *, session: Session, contacts: Sequence[Contact], message: str = ""
) -> tuple[list[OutreachRequest], dict[int, DomainError]]:
    """Ask outreach for several contacts chosen together (the web form, the API's batch).
    Each contact is its own request, so one refused (no consent, no owner, already
    requested) does not hold back the others: returns the requests made and, by contact id,
    why the others were refused. The requests made share one ``batch``: each account owner
    gets ONE notice and ONE email listing all their contacts of it. Notices and emails leave
    when the transaction commits."""
    permissions.check(actor, "session.view", session)
    permissions.check(actor, "outreach.request")  # a role that may not ask is told at once
    made: list[OutreachRequest] = []
    refused: dict[int, DomainError] = {}
    batch = uuid.uuid4()
    for contact in contacts:
        try:
            with transaction.atomic():
                made.append(
                    _file(actor, session=session, contact=contact, message=message, batch=batch)
                )
        except DomainError as exc:
            refused[contact.pk] = exc
    _ask_owners(session, made)
    return made, refused


@dataclass(frozen=True)
class OutreachDecision:
    """One decision of an account owner: approve (with optional conditions) or decline
    (with a reason)."""

    request: OutreachRequest
    approve: bool
    conditions: str = ""
    reason: str = ""


def _refusal(request: OutreachRequest, decision: OutreachDecision) -> dict[str, str]:
    """Why this decision cannot be taken on the locked ``request``: {"": ...} for the
    request as a whole, {"reason": ...} for a decline without a reason."""
    if request.status != OutreachStatus.PENDING:
        return {"": f"This request is already {request.get_status_display().lower()}."}
    if not decision.approve and not decision.reason.strip():
        return {"reason": "Say why, so the facilitator can respond."}
    return {}


def _apply(actor: Viewer, request: OutreachRequest, decision: OutreachDecision) -> None:
    """Write and audit one decision on a locked, pending request; tell the requester."""
    from traction.sessions.tasks import deliver_outreach_decision

    approve = decision.approve
    request.status = OutreachStatus.APPROVED if approve else OutreachStatus.DECLINED
    request.conditions = decision.conditions.strip() if approve else ""
    request.reason = "" if approve else decision.reason.strip()
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


def _lock(actor: Viewer, requests: Sequence[OutreachRequest]) -> dict[int, OutreachRequest]:
    for request in requests:
        permissions.check(actor, "outreach.decide", request)
    locked = {
        r.pk: r
        for r in OutreachRequest.objects.select_for_update()
        .select_related("contact", "session")
        .filter(pk__in=[r.pk for r in requests])
        .order_by("pk")  # one order for every locker: no deadlock between two batches
    }
    # Checked again on the locked rows: the account may have changed owner since it was read.
    for request in locked.values():
        permissions.check(actor, "outreach.decide", request)
    return locked


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
    decision = OutreachDecision(request, approve, conditions, reason)
    request = _lock(actor, [request])[request.pk]
    refusal = _refusal(request, decision)
    if refusal:
        ((field, message),) = refusal.items()
        raise ValidationFailed.field(field or "__all__", message)
    _apply(actor, request, decision)
    settle_batch_notice(request.batch, request.account_owner_id)
    return request


@transaction.atomic
def decide_outreach_requests(
    actor: Viewer, *, decisions: Sequence[OutreachDecision]
) -> list[OutreachRequest]:
    """The account owner decides several requests at once (Approvals' "Approve all", the
    API's batch): all or nothing. Every request must still be waiting, exactly as the owner
    saw it (one decided meanwhile, by them elsewhere or by an admin's waiver, refuses the
    whole batch: nothing is written); each decision is audited on its own request.
    Refusals name the decision: ``decisions.<i>`` (the request) or ``decisions.<i>.reason``.
    """
    if not decisions:
        raise ValidationFailed.field("decisions", "Choose at least one request to decide.")
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for i, decision in enumerate(decisions):
        if decision.request.pk in seen:
            errors[f"decisions.{i}"] = ["This request is decided twice in one batch."]
        seen.add(decision.request.pk)
    if errors:
        raise ValidationFailed(errors)
    locked = _lock(actor, [d.request for d in decisions])
    for i, decision in enumerate(decisions):
        for field, message in _refusal(locked[decision.request.pk], decision).items():
            errors[f"decisions.{i}.{field}" if field else f"decisions.{i}"] = [message]
    if errors:
        raise ValidationFailed(errors)
    done = []
    for decision in decisions:
        request = locked[decision.request.pk]
        _apply(actor, request, decision)
        done.append(request)
    for batch, owner_id in {(r.batch, r.account_owner_id) for r in done}:
        settle_batch_notice(batch, owner_id)
    return done


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
    settle_batch_notice(request.batch, request.account_owner_id)
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
