""" "You said, we did" updates (docs/loop.md, "Updates"): compose from the data, edit, check,
ask each affected organisation's account owner to approve the exact text and recipients,
send once, discard. Every step checks, locks, writes and audits here.

States: draft → awaiting (approvals asked; an account owner may ask for changes instead, with
a reason, which holds it there until an edit asks again) → approved (every approval given or
waived; the
``UpdateRecipient`` outbox rows are created, queued, from the approved snapshots) → sent
(immutable). Any edit of the text or of who is left out bumps ``version``, supersedes the
approvals of the old version and asks again (back to draft when the checker objects). A
sent or discarded update refuses every change.
"""

from __future__ import annotations

import difflib
import hashlib
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from traction.core import audit, clock, dates, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import check_length, require_no_bidi_controls
from traction.core.writes import expect_version, save_new_version
from traction.customers.models import Customer
from traction.loop import drafting, mailer, update_checker
from traction.loop.audience import Candidate, audience
from traction.loop.models import (
    Approval,
    ApprovalEmailKind,
    ApprovalState,
    AtRisk,
    Delivery,
    MessageState,
    Update,
    UpdateAudience,
    UpdateKind,
    UpdateRecipient,
    UpdateState,
)
from traction.loop.services import approvals
from traction.programs.models import Program
from traction.sessions.models import Session

SUBJECT_MAX = 200
BODY_MAX = 20_000  # an update's text as edited (a drafted one is a few thousand characters)
LEFT_OUT = "Left out of this update by the facilitator"


def remind_days() -> int:
    return int(getattr(settings, "TRACTION_UPDATE_APPROVAL_REMIND_DAYS", 3))


def escalate_days() -> int:
    return int(getattr(settings, "TRACTION_UPDATE_APPROVAL_ESCALATE_DAYS", 7))


# --- who receives it -----------------------------------------------------------------------


def candidates(update: Update) -> list[Candidate]:
    """Everyone the update would reach, the excluded ones with why (the facilitator's
    "left out" included)."""
    ids = update.sources.get("priorities", []) if update.sources else []
    found = audience(
        update.program_id,
        priority_ids=[] if update.audience == UpdateAudience.SESSION else ids,
        session_id=update.session_id,
        customer_id=update.customer_id,
    )
    left_out = set(update.sources.get("left_out", []) if update.sources else [])
    for c in found:
        if c.included and c.contact.pk in left_out:
            c.excluded = LEFT_OUT
    return found


def recipients_snapshot(found: list[Candidate]) -> list[dict[str, Any]]:
    return [
        {
            "contact_id": c.contact.pk,
            "customer_id": c.contact.customer_id,
            "name": c.contact.name,
            "email": c.contact.email,
            "reasons": c.reasons,
        }
        for c in found
        if c.included
    ]


def nobody_to_send_to(update: Update, found: list[Candidate]) -> str:
    """Why nobody would receive the update, in plain words ("" when someone would): nobody
    its audience holds yet (no customer took part: what to do), or every candidate
    excluded (each says why)."""
    if any(c.included for c in found):
        return ""
    if found:
        return (
            "Nobody would receive this update: every candidate is excluded (see why beside "
            "each name)."
        )
    if update.audience == UpdateAudience.CUSTOMER and update.customer is not None:
        who = (
            f"nobody at {update.customer.name} has raised, voted on or followed a priority "
            "of this program yet"
        )
    elif update.audience == UpdateAudience.SESSION and update.session is not None:
        who = (
            f"nobody accepted the invitation to “{update.session.title}”, and no customer "
            "has raised, voted on or followed its priorities yet"
        )
    else:
        who = (
            "the program has no customers taking part yet (nobody has raised, voted on or "
            "followed any of its priorities)"
        )
    return (
        f"Nobody to send this to: {who}. Updates go to the customers who took part: invite "
        "them to a session of the program and write the update once they have had their "
        "say, or discard this draft."
    )


# --- compose and edit ----------------------------------------------------------------------


def _refuse_if_closed(update: Update) -> None:
    if update.state == UpdateState.SENT:
        sent = f" on {dates.short(update.sent_at)}" if update.sent_at else ""
        raise ValidationFailed.field(
            "__all__", f"This update was sent{sent}; a sent update cannot be changed."
        )
    if update.state == UpdateState.DISCARDED:
        raise ValidationFailed.field(
            "__all__", "This update was discarded; start a new one instead."
        )


def compose(
    actor: Viewer,
    program: Program,
    *,
    audience: str,
    kind: str = UpdateKind.UPDATE,
    customer_id: int | None = None,
    session_id: int | None = None,
    delivery_id: int | None = None,
    priority_id: int | None = None,
) -> Update:
    """Start an update drafted from the data."""
    permissions.check(actor, "loop.compose", program)
    errors: dict[str, list[str]] = {}
    customer = session = None
    delivery: Delivery | None = None
    risk: AtRisk | None = None
    if audience not in UpdateAudience.values:
        errors["audience"] = ["Choose one organisation, one session or the whole program."]
    if kind not in UpdateKind.values:
        errors["kind"] = ["Choose what kind of update this is."]
    if audience == UpdateAudience.CUSTOMER:
        customer = (
            permissions.scope(actor, "customer.identify", Customer.objects.all())
            .filter(pk=customer_id or 0)
            .first()
        )
        if customer is None:
            errors["customer"] = ["Choose the customer organisation the update is for."]
    elif audience == UpdateAudience.SESSION:
        session = Session.objects.filter(
            workspace_id=actor.workspace_id, program_id=program.pk, pk=session_id or 0
        ).first()
        if session is None:
            errors["session"] = ["Choose a session of this program."]
    if kind == UpdateKind.DELIVERY:
        delivery = Delivery.objects.filter(
            workspace_id=actor.workspace_id,
            program_id=program.pk,
            pk=delivery_id or 0,
            archived_at__isnull=True,
        ).first()
        if delivery is None:
            errors["delivery"] = ["Choose a delivery of this program."]
    if kind == UpdateKind.CHANGE_OF_PLAN:
        risk = AtRisk.objects.filter(
            workspace_id=actor.workspace_id,
            program_id=program.pk,
            priority_id=priority_id or 0,
            cleared_at__isnull=True,
        ).first()
        if risk is None:
            errors["priority"] = [
                "Choose a priority the slip radar marked at risk: a change of plan explains "
                "a slipped status."
            ]
    if kind == UpdateKind.RE_ENGAGEMENT and audience != UpdateAudience.CUSTOMER:
        errors["audience"] = ["A re-engagement is written to one customer organisation."]
    if errors:
        raise ValidationFailed(errors)
    made = drafting.draft(
        program,
        audience=audience,
        kind=kind,
        customer=customer,
        session=session,
        delivery=delivery,
        risk=risk,
    )
    with transaction.atomic():
        update = Update.objects.create(
            workspace_id=actor.workspace_id,
            program=program,
            audience=audience,
            customer=customer,
            session=session,
            kind=kind,
            delivery=delivery,
            subject=made.subject[:SUBJECT_MAX],
            body=made.body,
            sources={**made.sources, "drafted": _digest(made.subject[:SUBJECT_MAX], made.body)}
            if delivery is not None
            else made.sources,
            created_by_id=actor.user_id,
        )
        if delivery is not None:
            update.deliveries.add(delivery)
        audit.record(
            actor,
            action="loop.update_drafted",
            obj=update,
            changes={
                "audience": audience,
                "kind": kind,
                "customer": customer.pk if customer else None,
                "session": session.pk if session else None,
                "sources": made.sources,
            },
        )
    return update


# A delivery update still being written or waiting for approval takes in a later delivery
# for the same organisation: one message, not one per delivery.
FOLDABLE = (UpdateState.DRAFT, UpdateState.AWAITING)


def draft_for_delivery(actor: Viewer, delivery: Delivery) -> list[Update]:
    """For each customer organisation a delivery credits (those that raised or voted on a
    priority it touches): the delivery folded into that organisation's unsent delivery update
    of the program if it has one (``fold_delivery``), else a new draft; nothing when an update
    is about it already. Drafts notify nobody: a delivery recorded for the past gets drafts
    too, and nothing goes out until someone sends."""
    from traction.loop import credit

    program = delivery.program
    if program is None or not permissions.can(actor, "loop.compose", program):
        return []
    ids = list(delivery.links.values_list("priority_id", flat=True))
    made: list[Update] = []
    for customer in credit.customers_of(ids):
        mine = Update.objects.filter(
            program=program, customer=customer, kind=UpdateKind.DELIVERY
        ).exclude(state=UpdateState.DISCARDED)
        if mine.filter(deliveries=delivery).exists():
            continue
        unsent = mine.filter(state__in=FOLDABLE).order_by("-created_at", "-pk").first()
        if unsent is not None:
            made.append(fold_delivery(actor, unsent, delivery))
            continue
        made.append(
            compose(
                actor,
                program,
                audience=UpdateAudience.CUSTOMER,
                kind=UpdateKind.DELIVERY,
                customer_id=customer.pk,
                delivery_id=delivery.pk,
            )
        )
    return made


def _digest(subject: str, body: str) -> str:
    return hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()


def fold_delivery(actor: Viewer, update: Update, delivery: Delivery) -> Update:
    """Fold a later delivery into an unsent delivery update of the same organisation. A text
    nobody has edited is drafted again about every delivery; an edited one keeps its words and
    gets the delivery added before its closing. Its sources (and so its recipients) grow with
    the priorities the delivery touches; like any edit, it bumps the version and asks the
    account owners again."""
    permissions.check(actor, "loop.compose", update.program)
    with transaction.atomic():
        found = _locked(update)
        if found.state not in FOLDABLE or found.kind != UpdateKind.DELIVERY:
            raise ValidationFailed.field(
                "__all__", "Only a delivery update not yet approved can take in a delivery."
            )
        about = [*found.deliveries.order_by("on", "pk"), delivery]
        made = drafting.draft(
            found.program,
            audience=found.audience,
            kind=UpdateKind.DELIVERY,
            customer=found.customer,
            deliveries=about,
        )
        untouched = found.sources.get("drafted") == _digest(found.subject, found.body)
        if untouched:
            subject, body = made.subject[:SUBJECT_MAX], made.body
        else:
            subject = found.subject
            body = drafting.with_delivery(
                found.body,
                delivery,
                drafting.delivery_answers(
                    found.program,
                    audience=found.audience,
                    customer=found.customer,
                    delivery=delivery,
                ),
            )
        found.deliveries.add(delivery)
        kept = {k: v for k, v in found.sources.items() if k == "left_out"}
        found.sources = {
            **made.sources,
            **kept,
            "drafted": _digest(subject, body) if untouched else "",
        }
        found.save(update_fields=["sources"])
        audit.record(
            actor,
            action="loop.update_delivery_folded",
            obj=found,
            changes={"delivery": delivery.pk, "kept_edits": not untouched},
        )
        return edit(actor, found, subject=subject, body=body)


def _locked(update: Update) -> Update:
    return Update.objects.select_for_update().get(pk=update.pk)


def edit(
    actor: Viewer,
    update: Update,
    *,
    subject: str | None = None,
    body: str | None = None,
    left_out: list[int] | None = None,
    expected_version: int | None = None,
) -> Update:
    """Change the text or who is left out. A change bumps the version; approvals of the old
    version are superseded and asked again (the update returns to draft if the checker
    objects or nobody is left to receive it)."""
    permissions.check(actor, "loop.compose", update.program)
    errors: dict[str, list[str]] = {}
    if subject is not None:
        subject = " ".join(subject.split())
        if not subject:
            errors["subject"] = ["Give the update a subject."]
        else:
            check_length(errors, "subject", subject, SUBJECT_MAX)
    if body is not None:
        body = body.replace("\r\n", "\n").strip() + "\n"
        if not body.strip():
            errors["body"] = ["Write the update."]
        elif body != update.body:  # a text stored before the cap stays as it is
            check_length(errors, "body", body, BODY_MAX)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        found = _locked(update)
        _refuse_if_closed(found)
        expect_version(found, expected_version)
        before = {
            "subject": found.subject,
            "body": found.body,
            "left_out": sorted(found.sources.get("left_out", [])),
        }
        if subject is not None:
            found.subject = subject
        if body is not None:
            found.body = body
        if left_out is not None:
            known = {c.contact.pk for c in candidates(found)}
            unknown = sorted(set(left_out) - known)
            if unknown:
                # A few named, the rest counted: the answer never echoes a huge body back.
                more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
                raise ValidationFailed.field(
                    "left_out", f"Not among this update's recipients: {unknown[:10]}{more}."
                )
            found.sources = {**found.sources, "left_out": sorted(set(left_out))}
        after = {
            "subject": found.subject,
            "body": found.body,
            "left_out": sorted(found.sources.get("left_out", [])),
        }
        delta = audit.diff(before, after)
        if not delta:
            return found
        save_new_version(found, fields=["subject", "body", "sources"])
        audit.record(
            actor,
            action="loop.update_edited",
            obj=found,
            changes={k: v for k, v in delta.items() if k != "body"}
            | ({"body": "changed"} if "body" in delta else {})
            | {"version": found.version},
        )
        if found.state in (UpdateState.AWAITING, UpdateState.APPROVED):
            _supersede(actor, found)
            # The recipients approved for the old version wait for the new approvals.
            UpdateRecipient.objects.filter(update=found, state=MessageState.QUEUED).delete()
            if update_checker.update_problems(found) or not recipients_snapshot(candidates(found)):
                found.state = UpdateState.DRAFT
                found.save(update_fields=["state"])
                audit.record(actor, action="loop.update_back_to_draft", obj=found)
            else:
                _ask(actor, found)
    return found


def _supersede(actor: Viewer | None, update: Update) -> int:
    """The approvals of older versions no longer count (they are kept, dated)."""
    now = clock.now()
    old = list(
        Approval.objects.select_for_update().filter(update=update, superseded_at__isnull=True)
    )
    for a in old:
        a.superseded_at = now
        a.save(update_fields=["superseded_at"])
        _resolve_notice(a)
        if a.state == ApprovalState.CHANGES_REQUESTED:
            _resolve_changes_notices(a)
    if old:
        audit.record(
            actor,
            action="loop.update_approvals_superseded",
            obj=update,
            changes={"approvals": [a.pk for a in old], "version": update.version},
        )
    return len(old)


# --- approval ------------------------------------------------------------------------------


def submit(actor: Viewer, update: Update, *, expected_version: int | None = None) -> Update:
    """Ask each affected organisation's account owner to approve this version with its
    exact recipients; refused while the checker finds problems or nobody would receive it."""
    permissions.check(actor, "loop.compose", update.program)
    with transaction.atomic():
        found = _locked(update)
        _refuse_if_closed(found)
        expect_version(found, expected_version)
        if found.state != UpdateState.DRAFT:
            raise ValidationFailed.field(
                "__all__",
                f"This update is already {found.get_state_display().lower()}; edit it to ask "
                "again.",
            )
        problems = update_checker.update_problems(found)
        if problems:
            raise ValidationFailed(
                {
                    "body": [
                        "Fix what the checker flags before asking for approval:",
                        *(p.message for p in problems),
                    ]
                }
            )
        nobody = nobody_to_send_to(found, candidates(found))
        if nobody:
            raise ValidationFailed.field("__all__", nobody)
        _ask(actor, found)
    return found


def _ask(actor: Viewer | None, update: Update) -> list[Approval]:
    """One approval per organisation with a recipient, of this version and its snapshot."""
    recipients = recipients_snapshot(candidates(update))
    by_org: dict[int, list[dict[str, Any]]] = {}
    for r in recipients:
        by_org.setdefault(r["customer_id"], []).append(r)
    asked: list[Approval] = []
    for customer in Customer.objects.filter(pk__in=by_org).order_by("name", "pk"):
        asked.append(
            Approval.objects.create(
                workspace_id=update.workspace_id,
                program_id=update.program_id,
                subject_kind="update",
                update=update,
                version=update.version,
                snapshot={
                    "subject": update.subject,
                    "body": update.body,
                    "recipients": by_org[customer.pk],
                },
                customer=customer,
                account_owner_id=customer.account_owner_id,
            )
        )
    update.state = UpdateState.AWAITING
    update.submitted_at = clock.now()
    update.save(update_fields=["state", "submitted_at"])
    audit.record(
        actor,
        action="loop.update_submitted",
        obj=update,
        changes={
            "version": update.version,
            "approvals": {a.customer_id: a.account_owner_id for a in asked},
            "recipients": [r["contact_id"] for r in recipients],
        },
    )
    from traction.loop import update_emails

    for a in asked:
        if a.account_owner_id is not None:
            _notify(a)
            # Queued: sent once this commits, retried, its outcome shown on the update's page.
            update_emails.queue(a, ApprovalEmailKind.REQUEST, [a.account_owner_id])
    return asked


def notice_action(approval: Approval) -> str:
    from traction.loop import update_emails

    return update_emails.notice_action(approval)


def _notify(approval: Approval) -> None:
    from traction.loop import update_emails

    update_emails.notify_owner(approval)


def _resolve_notice(approval: Approval) -> None:
    from traction.loop import update_emails

    update_emails.resolve_notice(approval)


def approval(viewer: Viewer, approval_id: int, action: str = "loop.approve") -> Approval:
    """An update's approval the viewer may give (or, ``loop.waive``, waive)."""
    return permissions.get(
        viewer,
        action,
        Approval.objects.filter(subject_kind="update").select_related("update", "customer"),
        pk=approval_id,
    )


def _decide(actor: Viewer, approval: Approval, state: str, reason: str) -> Approval:
    with transaction.atomic():
        update = _locked(approval.update)  # type: ignore[arg-type]
        found = Approval.objects.select_for_update().get(pk=approval.pk)
        if update.state in (UpdateState.SENT, UpdateState.DISCARDED):
            _refuse_if_closed(update)
        if found.superseded_at is not None or found.version != update.version:
            raise ValidationFailed.field(
                "__all__",
                "The update changed since this approval was asked; approve its newest "
                "version instead.",
            )
        approvals.record(
            actor,
            found,
            state,
            reason,
            action=f"loop.update_approval_{state}",
            changes={"update": update.pk, "version": found.version, "customer": found.customer_id},
        )
        _resolve_notice(found)
        if state == ApprovalState.CHANGES_REQUESTED:
            _notify_changes_asked(update, found)
        _approve_if_complete(actor, update)
    return found


def changes_notice_action(approval: Approval) -> str:
    return f"loop.update-changes:{approval.pk}"


def _authors(update: Update) -> set[int]:
    """Who drafted the update and who asked the account owners (the submit, or the edit
    that asked again, of its current version)."""
    from traction.core.models import AuditEvent

    found = {update.created_by_id} if update.created_by_id else set()
    asked = (
        AuditEvent.objects.filter(
            workspace_id=update.workspace_id,
            action="loop.update_submitted",
            object_type=update._meta.label_lower,
            object_id=str(update.pk),
            actor_id__isnull=False,
        )
        .order_by("-pk")
        .values_list("actor_id", flat=True)
        .first()
    )
    if asked:
        found.add(asked)
    return found


def _notify_changes_asked(update: Update, approval: Approval) -> None:
    """The drafter and the submitter learn, in the app, that an account owner asked for
    changes and what (the owner themselves is not told of their own answer)."""
    from traction.accounts.models import Membership, Notice, Workspace
    from traction.loop import update_emails

    slug = Workspace.objects.only("slug").get(pk=update.workspace_id).slug
    who = approval.by.full_name or approval.by.email if approval.by else "The account owner"
    members = set(
        Membership.objects.filter(
            workspace_id=update.workspace_id, user_id__in=_authors(update)
        ).values_list("user_id", flat=True)
    ) - {approval.by_id}
    for user_id in sorted(members):
        Notice.objects.create(
            workspace_id=update.workspace_id,
            user_id=user_id,
            text=(
                f"{who} asked for changes in “{update.subject}” for "
                f"{approval.customer.name}: {approval.reason}"
            )[:300],
            link=update_emails.subject_path(approval, slug),
            action=changes_notice_action(approval),
        )


def _resolve_changes_notices(approval: Approval) -> None:
    from traction.accounts.models import Notice

    Notice.objects.filter(action=changes_notice_action(approval), resolved_at__isnull=True).update(
        resolved_at=clock.now()
    )


def changes_asked(update: Update) -> list[str]:
    """Each current approval that asks for changes, in words: who asked, for which
    organisation, and what should change."""
    asked = (
        Approval.objects.filter(
            update=update,
            superseded_at__isnull=True,
            state=ApprovalState.CHANGES_REQUESTED,
        )
        .select_related("customer", "by")
        .order_by("customer__name", "pk")
    )
    return [
        f"{(a.by.full_name or a.by.email) if a.by else 'The account owner'} asked for changes "
        f"for {a.customer.name}: “{a.reason}”"
        for a in asked
    ]


def _approve_if_complete(actor: Viewer | None, update: Update) -> None:
    current = list(Approval.objects.filter(update=update, superseded_at__isnull=True))
    given = (ApprovalState.APPROVED, ApprovalState.WAIVED)
    if not current or any(a.state not in given for a in current):
        return
    rows = [
        UpdateRecipient(
            workspace_id=update.workspace_id,
            update=update,
            contact_id=r["contact_id"],
            customer_id=a.customer_id,
            name=r["name"],
            email=r["email"],
            reasons=r["reasons"],
            state=MessageState.QUEUED,
        )
        for a in current
        for r in a.snapshot.get("recipients", [])
    ]
    UpdateRecipient.objects.filter(update=update).delete()  # an older approved version's
    UpdateRecipient.objects.bulk_create(rows)
    update.state = UpdateState.APPROVED
    update.save(update_fields=["state"])
    audit.record(
        actor,
        action="loop.update_approved",
        obj=update,
        changes={"version": update.version, "recipients": [r.contact_id for r in rows]},
    )


def approve(actor: Viewer, approval: Approval) -> Approval:
    """The account owner approves this version and the exact recipients shown."""
    return approvals.approve(actor, approval, _decide)


def waive(actor: Viewer, approval: Approval, *, reason: str) -> Approval:
    """An admin lets the update through without the account owner, saying why."""
    return approvals.waive(actor, approval, reason, _decide)


owner_viewer = approvals.owner_viewer


def approve_by_link(token: str) -> Approval:
    """Approve from the signed link in the email: refused when tampered, expired, reused
    (decided), superseded (a newer version) or moved to another owner."""
    return approvals.approve_by_link(token, "update", _decide)


def request_changes(actor: Viewer, approval: Approval, *, reason: str) -> Approval:
    """The account owner asks for changes instead of approving, saying what should change:
    the update cannot be sent until an edit (a new version) asks them again."""
    return approvals.request_changes(actor, approval, reason, _decide)


def request_changes_by_link(token: str, reason: str) -> Approval:
    """Ask for changes from the signed link in the email (refused as ``approve_by_link``)."""
    return approvals.request_changes_by_link(token, "update", reason, _decide)


def link_refused(token: str, why: str) -> None:
    approvals.link_refused(token, why, "update")


# --- send and discard ------------------------------------------------------------------------


# Kinds held to the plan's cadence: a change of plan and an apology after a silence go when
# they must.
CADENCED = (UpdateKind.UPDATE, UpdateKind.DELIVERY)


def too_soon(update: Update) -> list[str]:
    """Why sending ``update`` now breaks the plan's cadence: each organisation it reaches that
    heard from the program within the cadence (none for a change of plan or a re-engagement,
    which go when they must)."""
    from traction.loop import update_selectors

    if update.kind not in CADENCED:
        return []
    names = dict(
        UpdateRecipient.objects.filter(update=update)
        .values_list("customer_id", "customer__name")
        .distinct()
    )
    cadence, heard = update_selectors.heard_within_cadence(update.program_id, names)
    return [
        f"{h.organisation} heard from this program "
        + (f"{h.days_ago} day{'s' if h.days_ago != 1 else ''} ago" if h.days_ago else "today")
        + f"; the plan's cadence is one update every {cadence} days."
        for h in heard
    ]


def send(
    actor: Viewer,
    update: Update,
    *,
    expected_version: int | None = None,
    early_reason: str = "",
) -> Update:
    """Send an approved update: from now on it is immutable. Its messages wait in the
    outbox (``UpdateRecipient``, created when it was approved); ``mailer.deliver_update``
    sends them once this transaction commits (and ``traction remind`` retries what failed).
    Mail follows the plan's cadence: an update reaching an organisation that heard from the
    program within it needs ``early_reason`` (why it cannot wait), kept in the audit."""
    permissions.check(actor, "loop.compose", update.program)
    early_reason = " ".join(early_reason.split())
    require_no_bidi_controls(early_reason=early_reason)  # posted outside a form
    with transaction.atomic():
        found = _locked(update)
        _refuse_if_closed(found)
        expect_version(found, expected_version)
        if found.state != UpdateState.APPROVED:
            asked = changes_asked(found)
            if asked:
                raise ValidationFailed(
                    {
                        "__all__": [
                            "This update cannot be sent: an account owner asked for changes. "
                            "Edit it (they are asked again):",
                            *asked,
                        ]
                    }
                )
            waiting = list(
                Approval.objects.filter(
                    update=found, superseded_at__isnull=True, state=ApprovalState.PENDING
                )
                .select_related("customer")
                .values_list("customer__name", flat=True)
            )
            why = (
                f"still waiting for the approval for {', '.join(waiting)}"
                if waiting
                else "it was not submitted for approval yet"
            )
            raise ValidationFailed.field("__all__", f"Only an approved update can be sent: {why}.")
        changed = changed_since_asked(found)
        if changed:
            raise ValidationFailed(
                {
                    "__all__": [
                        "This update can no longer be sent as approved: what it says changed "
                        "since the account owners were asked. Edit it (they are asked again):",
                        *changed,
                    ]
                }
            )
        soon = too_soon(found)
        if soon and not early_reason:
            raise ValidationFailed(
                {
                    "early_reason": [
                        "Mail follows the plan's cadence, not one message per event. Fold "
                        "this into their next update, or say why it cannot wait:",
                        *soon,
                    ]
                }
            )
        found.state = UpdateState.SENT
        found.sent_at = clock.now()
        found.sent_by_id = actor.user_id
        found.save(update_fields=["state", "sent_at", "sent_by"])
        audit.record(
            actor,
            action="loop.update_sent",
            obj=found,
            changes={
                "version": found.version,
                "recipients": found.recipients.count(),
            }
            | ({"early": soon, "early_reason": early_reason} if soon else {}),
        )
        sent_id = found.pk
        transaction.on_commit(lambda: mailer.deliver_update.enqueue(sent_id))
    return found


def changed_since_asked(update: Update) -> list[str]:
    """Why an approved update may no longer say what it says: what the checker flags against
    the statuses as they are now; the statuses of its priorities published since the account
    owners were asked (a plan changed, a status withdrawn for another); its priorities the
    slip radar marked at risk since then. [] when it may go as approved."""
    from traction.loop.models import PriorityStatus
    from traction.loop.services import statuses

    found = [p.message for p in update_checker.update_problems(update)]
    since = update.submitted_at
    ids = mailer.priority_ids(update)
    if since is None or not ids:
        return found
    newer = (
        PriorityStatus.objects.filter(priority_id__in=ids, published_at__gt=since)
        .select_related("priority")
        .order_by("published_at", "pk")
    )
    for s in newer:
        assert s.published_at is not None  # published_at__gt above
        window = f" ({s.window.label})" if s.window is not None else ""
        found.append(
            f"“{statuses.short(s.priority.text)}” is now {s.get_status_display().lower()}"
            f"{window}, published {dates.short(s.published_at)}."
        )
    risks = (
        AtRisk.objects.filter(priority_id__in=ids, since__gt=since, cleared_at__isnull=True)
        .select_related("priority")
        .order_by("since", "pk")
    )
    for r in risks:
        why = "; ".join(str(x) for x in r.reasons or [])
        found.append(
            f"“{statuses.short(r.priority.text)}” was marked at risk on {dates.short(r.since)}"
            + (f": {why}" if why else ".")
        )
    return found + _withdrawn_since(update)


def _withdrawn_since(update: Update) -> list[str]:
    """What a withdrawal took away since the approvals: words it quotes that their speaker
    (or a member for them) withdrew, and approved recipients who no longer have any reason
    to hear about it (their only dots or words were withdrawn, their follow ended)."""
    from traction.insights.models import Insight, InsightStatus
    from traction.loop.services import statuses

    found = []
    quotes = (update.sources or {}).get("quotes", [])
    for card in Insight.objects.filter(pk__in=quotes, status=InsightStatus.WITHDRAWN).order_by(
        "withdrawn_at", "pk"
    ):
        when = f" on {dates.short(card.withdrawn_at)}" if card.withdrawn_at else ""
        found.append(f"The words “{statuses.short(card.text)}” it quotes were withdrawn{when}.")
    approved = dict(UpdateRecipient.objects.filter(update=update).values_list("contact_id", "name"))
    still = {c.contact.pk for c in candidates(update)}
    for contact_id, name in sorted(approved.items(), key=lambda kv: kv[1]):
        if contact_id not in still:
            found.append(
                f"{name} no longer has a reason to hear about it (what they said, their dots "
                "or their follow was withdrawn or ended)."
            )
    return found


def send_request_again(actor: Viewer, approval: Approval) -> Approval:
    """Ask the account owner again by email when the last request or reminder was given up
    (or never finished): a member of the update's team checked it did not arrive."""

    permissions.check(actor, "loop.compose", approval.update.program)  # type: ignore[union-attr]
    with transaction.atomic():
        update = _locked(approval.update)  # type: ignore[arg-type]
        found = Approval.objects.select_for_update().get(pk=approval.pk)
        if (
            update.state != UpdateState.AWAITING
            or found.state != ApprovalState.PENDING
            or found.superseded_at is not None
            or found.account_owner_id is None
        ):
            raise ValidationFailed.field(
                "__all__", "This approval no longer waits for its account owner."
            )
        approvals.queue_again(actor, found, action="loop.update_approval_mail_resent")
    return found


def discard(actor: Viewer, update: Update, *, expected_version: int | None = None) -> Update:
    permissions.check(actor, "loop.compose", update.program)
    with transaction.atomic():
        found = _locked(update)
        _refuse_if_closed(found)
        expect_version(found, expected_version)
        _supersede(actor, found)
        UpdateRecipient.objects.filter(update=found, state=MessageState.QUEUED).delete()
        found.state = UpdateState.DISCARDED
        found.discarded_at = clock.now()
        found.discarded_by_id = actor.user_id
        found.save(update_fields=["state", "discarded_at", "discarded_by"])
        audit.record(actor, action="loop.update_discarded", obj=found)
    return found


# --- what changed, turnaround ------------------------------------------------------------------


@dataclass
class Changes:
    """What changed in an approval's snapshot since the owner last approved the update (or
    asked for changes in it: ``since_changes_asked``)."""

    since_version: int
    text: list[str] = field(default_factory=list)  # unified diff lines
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    since_changes_asked: str = ""  # what they asked to change in ``since_version``, if they did

    @property
    def nothing(self) -> bool:
        return not (self.text or self.added or self.removed)


def changes_since_approved(approval: Approval) -> Changes | None:
    """The diff against the owner's last approval of an older version (None: they never
    approved one; this is the first time they see it)."""
    return changes_of([approval]).get(approval.pk)


def changes_of(approvals: list[Approval]) -> dict[int, Changes | None]:
    """``changes_since_approved`` of each approval (by id), in one query whatever their
    number (a page of an update's approvals)."""
    asked = [a for a in approvals if a.update_id is not None]
    found: dict[int, Changes | None] = {a.pk: None for a in approvals}
    if not asked:
        return found
    earlier: dict[tuple[int, int], list[Approval]] = {}
    for a in Approval.objects.filter(
        update_id__in={a.update_id for a in asked},
        customer_id__in={a.customer_id for a in asked},
        state__in=(ApprovalState.APPROVED, ApprovalState.CHANGES_REQUESTED),
        version__lt=max(a.version or 0 for a in asked),
    ).order_by("-version", "-pk"):
        earlier.setdefault((a.update_id or 0, a.customer_id), []).append(a)
    for a in asked:
        before = next(
            (
                b
                for b in earlier.get((a.update_id or 0, a.customer_id), [])
                if (b.version or 0) < (a.version or 0)
            ),
            None,
        )
        found[a.pk] = None if before is None else _diff(before, a)
    return found


def _diff(before: Approval, approval: Approval) -> Changes:
    old, new = before.snapshot, approval.snapshot

    def lines(s: dict[str, Any]) -> list[str]:
        return [f"Subject: {s.get('subject', '')}", "", *str(s.get("body", "")).splitlines()]

    text = [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            lines(old),
            lines(new),
            fromfile=f"version {before.version}",
            tofile=f"version {approval.version}",
            n=1,
            lineterm="",
        )
    ]
    was = {r["contact_id"]: r for r in old.get("recipients", [])}
    now = {r["contact_id"]: r for r in new.get("recipients", [])}
    return Changes(
        since_version=before.version or 0,
        since_changes_asked=(
            before.reason if before.state == ApprovalState.CHANGES_REQUESTED else ""
        ),
        text=text,
        added=[now[i] for i in now if i not in was],
        removed=[was[i] for i in was if i not in now],
    )


@dataclass
class Turnaround:
    decided: int
    median: timedelta | None
    slowest: timedelta | None


def turnaround(
    program_id: int, kind: str = "update", *, viewer: Viewer | None = None
) -> Turnaround:
    """How long account owners took to approve updates (``kind="status"``: statuses), asked
    to approved. An admin's waiver is not an owner's answer: it is left out. With
    ``viewer``, of the updates they may read only (``loop.updates``: an account owner counts
    the updates addressed to their own customers, never others'), or the statuses of the
    cards they may read (``insight.view``)."""
    rows = Approval.objects.filter(
        program_id=program_id, subject_kind=kind, state=ApprovalState.APPROVED,
        at__isnull=False,
    )  # fmt: skip
    if viewer is not None and kind == "update":
        readable = permissions.scope(
            viewer, "loop.updates", Update.objects.filter(program_id=program_id)
        )
        rows = rows.filter(update__in=readable.values("pk"))
    elif viewer is not None:  # statuses: of the cards they may read (``insight.view``)
        from traction.insights.models import Insight

        cards = permissions.scope(
            viewer, "insight.view", Insight.objects.filter(program_id=program_id)
        )
        rows = rows.filter(status__priority__in=cards.values("pk"))
    spans = sorted(
        at - asked for asked, at in rows.values_list("created_at", "at") if at is not None
    )
    if not spans:
        return Turnaround(0, None, None)
    median = timedelta(seconds=statistics.median(s.total_seconds() for s in spans))
    return Turnaround(len(spans), median, spans[-1])


# --- reminders (the periodic job "loop.update_approvals") ---------------------------------


def remind(now: datetime | None = None) -> dict[str, int]:
    """Remind account owners of approvals waiting ``remind_days`` since they were asked or
    last reminded; tell the workspace's admins (email and notice) once an approval waited
    ``escalate_days``. Idempotent: a reminder is queued only when no email to the owner is
    on its way, and counts (``reminders_sent``) once sent; the escalation is recorded at
    once (the admins' notice) and its email queued. Emails never raise here
    (``update_emails``)."""
    from django.db.models import Q

    from traction.loop import update_emails

    now = now or clock.now()
    reminded = escalated = 0
    waiting = Approval.objects.filter(
        Q(subject_kind="update", update__state=UpdateState.AWAITING)
        | Q(
            subject_kind="status",
            status__published_at__isnull=True,
            status__archived_at__isnull=True,
        ),
        state=ApprovalState.PENDING,
        superseded_at__isnull=True,
    )
    for a in waiting.order_by("pk"):
        with transaction.atomic():
            found = (
                Approval.objects.select_for_update(of=("self",))
                .select_related("update", "status", "customer")
                .get(pk=a.pk)
            )
            if (
                found.state != ApprovalState.PENDING
                or found.superseded_at is not None
                or not update_emails.subject_waiting(found)
            ):
                continue
            last = found.last_reminded_at or found.created_at
            if (
                found.account_owner_id is not None
                and now - last >= timedelta(days=remind_days())
                and not update_emails.in_flight(found)
            ):
                # Counted (reminders_sent, last_reminded_at) once the mail server took it.
                update_emails.queue(found, ApprovalEmailKind.REMINDER, [found.account_owner_id])
                reminded += 1
            if found.escalated_at is None and now - found.created_at >= timedelta(
                days=escalate_days()
            ):
                found.escalated_at = now
                found.save(update_fields=["escalated_at"])
                admins = _admins(found.workspace_id)
                _notify_admins(found, admins)
                audit.record(
                    None,
                    action=f"loop.{found.subject_kind}_approval_escalated",
                    obj=found,
                    changes={"admins": admins},
                )
                update_emails.queue(found, ApprovalEmailKind.ESCALATION, admins)
                escalated += 1
    return {"reminded": reminded, "escalated": escalated}


def _admins(workspace_id: int) -> list[int]:
    from traction.accounts.models import Membership
    from traction.core.permissions import Role

    return list(
        Membership.objects.filter(workspace_id=workspace_id, role=Role.ADMIN)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _notify_admins(approval: Approval, admins: list[int]) -> None:
    from traction.accounts.models import Notice, Workspace
    from traction.loop import update_emails

    slug = Workspace.objects.only("slug").get(pk=approval.workspace_id).slug
    owner = "its account owner" if approval.account_owner_id else "nobody (no account owner)"
    for user_id in admins:
        Notice.objects.create(
            workspace_id=approval.workspace_id,
            user_id=user_id,
            text=(
                f"{update_emails.what(approval)} to {approval.customer.name} has waited "
                f"{escalate_days()} days for the approval of {owner}; you may waive it."
            )[:300],
            link=update_emails.subject_path(approval, slug),
            action=f"loop.{approval.subject_kind}-escalated:{approval.pk}",
        )


__all__ = [
    "Changes",
    "Turnaround",
    "approval",
    "approve",
    "approve_by_link",
    "candidates",
    "changed_since_asked",
    "changes_asked",
    "changes_since_approved",
    "compose",
    "discard",
    "draft_for_delivery",
    "edit",
    "link_refused",
    "remind",
    "request_changes",
    "request_changes_by_link",
    "send",
    "send_request_again",
    "submit",
    "turnaround",
    "waive",
]
