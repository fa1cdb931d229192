"""Action items of approved recommendations: create, change, move along, reassign, keep.

Every change goes onto the action's timeline (``ActionUpdate``, append-only) with a short
progress note, is audited, and is announced to other tools (``outbound``: action_item.created,
action_item.updated, action_item.done). Owners and contributors are emailed when they are
given an action (queued when the transaction commits).

Who: ``action.manage`` creates, re-dates and reassigns; ``action.update`` (the owner, the
contributors, the program's team) moves the status and keeps an action in the review.
An owner is a current member of the workspace who is not an observer: an observer changes
nothing, so they could never move the action they own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet

from traction.accounts.models import Membership, User
from traction.core import audit, clock, dates, permissions
from traction.core.dates import check_window
from traction.core.errors import ValidationFailed
from traction.core.permissions import Role, Viewer
from traction.core.text import check_length, require_length, require_one_line
from traction.core.writes import expect_version, save_new_version, validate
from traction.debrief import outbound
from traction.debrief.models import (
    ActionItem,
    ActionStatus,
    ActionUpdate,
    DecisionOutcome,
    Recommendation,
    Reminder,
)

NOTE_MAX = 500
REASON_MAX = 300
CONTRIBUTORS_MAX = 100  # each is named in the action's webhook body (docs/webhooks.md)
NEEDS_REASON = (ActionStatus.BLOCKED, ActionStatus.DROPPED)
EDITABLE = ("title", "planned_start", "due_on", "owner_id", "contributor_ids", "customer_visible")
AUDITED = ["title", "owner_id", "planned_start", "due_on", "status", "customer_visible"]


# --- the payload other tools receive ---------------------------------------------------------


def payload(action: ActionItem) -> dict[str, Any]:
    """The stable JSON of an action item (webhooks; the same fields as the API's)."""

    def iso(value: Any) -> str | None:  # a day as YYYY-MM-DD, a moment as clock.iso_utc
        if value is None:
            return None
        return clock.iso_utc(value) if isinstance(value, datetime) else value.isoformat()

    return {
        "id": action.pk,
        "version": action.version,
        "title": action.title,
        "status": str(action.status),
        "status_reason": action.status_reason,
        "recommendation_id": action.recommendation_id,
        "debrief_id": action.recommendation.debrief_id,
        "program_id": action.program_id,
        "owner": {"id": action.owner_id, "name": str(action.owner), "email": action.owner.email},
        "contributors": [
            {"id": u.pk, "name": str(u), "email": u.email}
            for u in action.contributors.order_by("full_name", "email", "id")
        ],
        "planned_start": iso(action.planned_start),
        "due_on": iso(action.due_on),
        "customer_visible": action.customer_visible,
        "overdue": action.is_overdue,
        "ownerless_since": iso(action.ownerless_since),
        "started_at": iso(action.started_at),
        "done_at": iso(action.done_at),
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
    }


def _announce(action: ActionItem, event: str) -> None:
    outbound.announce(
        workspace_id=action.workspace_id,
        event=event,
        program_id=action.program_id,
        data=payload(action),
    )


# --- checks ----------------------------------------------------------------------------------


def day(value: date) -> str:
    """A date as the timeline writes it: "1 May 2027"."""
    return dates.short(value)


def _label(actor: Viewer | None) -> str:
    if actor is None:
        return "Traction"
    user = cast(User, actor.user)
    return str(user.full_name or user.email)


def _note(note: str, field: str = "note", *, required: bool = True) -> str:
    note = (note or "").strip()
    require_one_line(**{field: note})
    if required and not note:
        raise ValidationFailed.field(field, "Write a short progress note: what happened, and why.")
    require_length(field, note, NOTE_MAX)
    return note


def _members(actor: Viewer, user_ids: Iterable[int]) -> dict[int, str]:
    """Current members of the actor's workspace among ``user_ids``, with their roles."""
    return dict(
        Membership.objects.filter(
            workspace_id=actor.workspace_id, user_id__in=list(user_ids)
        ).values_list("user_id", "role")
    )


def _check_owner(actor: Viewer, owner_id: int | None) -> User:
    if not owner_id:
        raise ValidationFailed.field("owner_id", "Choose the one person accountable for it.")
    role = _members(actor, [owner_id]).get(owner_id)
    if role is None:
        raise ValidationFailed.field(
            "owner_id", "The owner must be a current member of this workspace."
        )
    if role == Role.OBSERVER:
        raise ValidationFailed.field(
            "owner_id", "Observers change nothing, so they cannot own an action: choose another."
        )
    return User.objects.get(pk=owner_id)


def _check_contributors(actor: Viewer, ids: Sequence[int], owner_id: int) -> list[int]:
    wanted = sorted({i for i in ids if i != owner_id})
    require_length("contributor_ids", wanted, CONTRIBUTORS_MAX)
    roles = _members(actor, wanted)
    missing = [i for i in wanted if i not in roles]
    if missing:
        raise ValidationFailed.field(
            "contributor_ids", f"Not current members of this workspace: {missing}."
        )
    observers = [i for i in wanted if roles[i] == Role.OBSERVER]
    if observers:
        raise ValidationFailed.field(
            "contributor_ids", "Observers change nothing, so they cannot contribute."
        )
    return wanted


def _check_dates(
    planned_start: date | None, due_on: date | None, *, new_due: bool, new_start: bool
) -> None:
    """The dates' rules, every problem at once: a due date, not in the past when it is new,
    and (when new) each date within ``core.dates``' window; a planned start not after it."""
    errors: dict[str, list[str]] = {}
    if due_on is None:
        errors["due_on"] = ["Give it a due date."]
    elif new_due and due_on < clock.today():
        errors["due_on"] = ["The due date is in the past: choose a later one."]
    elif new_due:
        check_window(errors, "due_on", due_on)
    if new_start:
        check_window(errors, "planned_start", planned_start)
    if (
        "planned_start" not in errors
        and planned_start is not None
        and due_on is not None
        and planned_start > due_on
    ):
        errors["planned_start"] = ["The planned start must be on or before the due date."]
    if errors:
        raise ValidationFailed(errors)


def _locked(action: ActionItem) -> ActionItem:
    return (
        ActionItem.objects.select_for_update()
        .select_related("owner", "recommendation")
        .get(pk=action.pk)
    )


def _timeline(
    actor: Viewer | None, action: ActionItem, note: str, *, due_changed: bool = False
) -> ActionUpdate:
    return ActionUpdate.objects.create(
        workspace_id=action.workspace_id,
        action=action,
        status=action.status,
        note=note[:NOTE_MAX],
        due_on=action.due_on if due_changed else None,
        by_id=actor.user_id if actor is not None else None,
        by_label=_label(actor),
    )


def _notify_assigned(action: ActionItem, user_ids: Iterable[int], role: str) -> None:
    from traction.debrief.emails_actions import deliver_assigned

    def send(user_id: int) -> None:
        deliver_assigned.enqueue(action.pk, user_id, role)

    for user_id in sorted(set(user_ids)):
        transaction.on_commit(partial(send, user_id))


# --- the use-cases ---------------------------------------------------------------------------


@transaction.atomic
def create_action(
    actor: Viewer,
    *,
    recommendation: Recommendation,
    title: str,
    owner_id: int | None,
    due_on: date | None,
    planned_start: date | None = None,
    contributor_ids: Sequence[int] = (),
    customer_visible: bool = False,
    note: str = "",
) -> ActionItem:
    """An action item for an approved recommendation, with its first timeline entry."""
    permissions.check(actor, "action.manage", recommendation)
    rec = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if rec.archived_at is not None:
        raise ValidationFailed.field(
            "recommendation", "This recommendation was withdrawn: it gets no action items."
        )
    if rec.outcome != DecisionOutcome.APPROVED:
        outcome = DecisionOutcome(rec.outcome).label.lower()
        raise ValidationFailed.field(
            "recommendation",
            f"Only approved recommendations get action items; this one is {outcome}.",
        )
    title = (title or "").strip()
    require_one_line(title=title)
    if not title:
        raise ValidationFailed.field("title", "Say what is to be done.")
    owner = _check_owner(actor, owner_id)
    _check_dates(planned_start, due_on, new_due=True, new_start=True)
    assert due_on is not None  # (checked above)
    contributors = _check_contributors(actor, contributor_ids, owner.pk)
    note = _note(note, required=False)
    action = ActionItem(
        workspace_id=actor.workspace_id,
        recommendation=rec,
        program_id=rec.program_id,
        title=title,
        owner=owner,
        planned_start=planned_start,
        due_on=due_on,
        customer_visible=customer_visible,
        created_by_id=actor.user_id,
    )
    validate(action, exclude=["created_by"])
    action.save()
    action.contributors.set(contributors)
    _timeline(
        actor,
        action,
        note or f"Created for {owner}, due {day(due_on)}.",
        due_changed=True,
    )
    audit.record(
        actor,
        action="action_item.created",
        obj=action,
        changes={**audit.snapshot(action, AUDITED), "contributor_ids": contributors},
    )
    _announce(action, "action_item.created")
    _notify_assigned(action, [owner.pk], "owner")
    _notify_assigned(action, contributors, "contributor")
    return action


@transaction.atomic
def update_action(
    actor: Viewer,
    *,
    action: ActionItem,
    changes: dict[str, Any],
    version: int | None = None,
    note: str = "",
) -> ActionItem:
    """Change the title, dates, owner, contributors or visibility. A new due date or owner
    goes onto the timeline with ``note``; a new owner ends "ownerless"."""
    permissions.check(actor, "action.manage", action)
    refused = sorted(set(changes) - set(EDITABLE))
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    locked = _locked(action)
    expect_version(locked, version)
    note = _note(note, required=False)
    before = {**audit.snapshot(locked, AUDITED), "contributor_ids": _contributor_ids(locked)}
    if "title" in changes:
        title = (changes["title"] or "").strip()
        require_one_line(title=title)
        if not title:
            raise ValidationFailed.field("title", "Say what is to be done.")
        locked.title = title
    new_owner = None
    if "owner_id" in changes and changes["owner_id"] != locked.owner_id:
        new_owner = _check_owner(actor, changes["owner_id"])
    planned = changes.get("planned_start", locked.planned_start)
    due = changes.get("due_on", locked.due_on)
    due_changed = "due_on" in changes and due != locked.due_on
    _check_dates(planned, due, new_due=due_changed, new_start=planned != locked.planned_start)
    if due_changed and locked.is_closed:
        raise ValidationFailed.field("due_on", "This action is closed: it needs no new date.")
    old_due, old_owner = locked.due_on, locked.owner
    locked.planned_start, locked.due_on = planned, due
    if "customer_visible" in changes:
        locked.customer_visible = bool(changes["customer_visible"])
    if new_owner is not None:
        locked.owner = new_owner
        locked.ownerless_since = None
    contributors = before["contributor_ids"]
    if "contributor_ids" in changes:
        contributors = _check_contributors(actor, changes["contributor_ids"], locked.owner_id)
    elif new_owner is not None and new_owner.pk in contributors:
        contributors = [c for c in contributors if c != new_owner.pk]  # owner, not helper
    after = {**audit.snapshot(locked, AUDITED), "contributor_ids": contributors}
    delta = audit.diff(before, after)
    if not delta:
        return locked
    validate(locked, exclude=["created_by"])
    save_new_version(locked)
    if "contributor_ids" in delta:
        locked.contributors.set(contributors)
    if due_changed:
        _timeline(
            actor,
            locked,
            f"Re-dated from {day(old_due)} to {day(due)}." + (f" {note}" if note else ""),
            due_changed=True,
        )
    if new_owner is not None:
        _timeline(
            actor,
            locked,
            f"Reassigned from {old_owner} to {new_owner}." + (f" {note}" if note else ""),
        )
    audit.record(actor, action="action_item.changed", obj=locked, changes=delta, reason=note)
    _announce(locked, "action_item.updated")
    if new_owner is not None:
        _notify_assigned(locked, [new_owner.pk], "owner")
    if "contributor_ids" in delta:
        added = set(contributors) - set(before["contributor_ids"])
        _notify_assigned(locked, added, "contributor")
    return locked


def _contributor_ids(action: ActionItem) -> list[int]:
    return sorted(action.contributors.values_list("id", flat=True))


def reassign(
    actor: Viewer,
    *,
    action: ActionItem,
    owner_id: int | None,
    note: str = "",
    version: int | None = None,
) -> ActionItem:
    """A new accountable owner (the one way out of "ownerless")."""
    if not owner_id:
        raise ValidationFailed.field("owner_id", "Choose the one person accountable for it.")
    if owner_id == action.owner_id and action.ownerless_since is None:
        raise ValidationFailed.field("owner_id", "They already own it: choose someone else.")
    if owner_id == action.owner_id:
        raise ValidationFailed.field(
            "owner_id", "The owner left the workspace: choose a current member."
        )
    return update_action(
        actor, action=action, changes={"owner_id": owner_id}, version=version, note=note
    )


@transaction.atomic
def change_status(
    actor: Viewer,
    action: ActionItem,
    status: str,
    note: str,
    *,
    reason: str = "",
    version: int | None = None,
) -> ActionItem:
    """Move the action along with a short progress note; blocked and dropped say why.

    ``status`` the action has already: the note alone goes onto its timeline (with the
    status as it stays), a progress note of the owner between changes: audited and
    announced as ``action_item.updated`` (never ``done``), the version moves on. A blocked or
    dropped action's reason may be restated then, not required. Nothing else changes: an
    open action stays "not started" (its reminder still comes) until it is in progress."""
    permissions.check(actor, "action.update", action)
    if status not in ActionStatus.values:
        raise ValidationFailed.field("status", f"Choose one of: {', '.join(ActionStatus.values)}.")
    locked = _locked(action)
    expect_version(locked, version)
    # Every refusal at once (the note, the reason, the status), so a form shows them all.
    errors: dict[str, list[str]] = {}
    try:
        note = _note(note)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    reason = (reason or "").strip()
    try:
        require_one_line(reason=reason)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    noted = status == locked.status  # a progress note, the status as it is
    if status in NEEDS_REASON and not reason and not noted:
        label = ActionStatus(status).label.lower()
        errors["reason"] = [f"Say why it is {label}."]
    else:
        check_length(errors, "reason", reason, REASON_MAX)
    if errors:
        raise ValidationFailed(errors)
    text = f"{note} (Reason: {reason})" if status in NEEDS_REASON and reason else note
    if noted:
        _add_note(actor, locked, reason=reason, timeline=text, audit_reason=note)
    else:
        _move(actor, locked, status, reason=reason, timeline=text, audit_reason=note)
    return locked


def _add_note(
    actor: Viewer, locked: ActionItem, *, reason: str, timeline: str, audit_reason: str
) -> None:
    """A progress note on an action the caller holds locked, its status kept: the timeline
    entry, the audit and ``action_item.updated``. A blocked or dropped action's new reason
    (if given) replaces the old one."""
    before = audit.snapshot(locked, ["status_reason"])
    if reason and locked.status in NEEDS_REASON:
        locked.status_reason = reason[:REASON_MAX]
    save_new_version(locked, fields=["status_reason"])
    _timeline(actor, locked, timeline)
    audit.record(
        actor,
        action="action_item.noted",
        obj=locked,
        changes=audit.diff(before, audit.snapshot(locked, ["status_reason"])),
        reason=audit_reason,
    )
    _announce(locked, "action_item.updated")


def _move(
    actor: Viewer, locked: ActionItem, status: str, *, reason: str, timeline: str, audit_reason: str
) -> None:
    """Set the status of an action the caller holds locked (checked already): its timeline
    entry, the audit and the webhook events. The one path every status change takes."""
    before = audit.snapshot(locked, ["status", "status_reason"])
    now = clock.now()
    locked.status = status
    locked.status_reason = reason[:REASON_MAX] if status in NEEDS_REASON else ""
    if status == ActionStatus.IN_PROGRESS and locked.started_at is None:
        locked.started_at = now
    locked.done_at = now if status == ActionStatus.DONE else None
    save_new_version(locked)
    _timeline(actor, locked, timeline)
    audit.record(
        actor,
        action="action_item.status_changed",
        obj=locked,
        changes=audit.diff(before, audit.snapshot(locked, ["status", "status_reason"])),
        reason=audit_reason,
    )
    _announce(locked, "action_item.updated")
    if status == ActionStatus.DONE:
        _announce(locked, "action_item.done")


# Still to be done: what a recommendation no longer approved leaves behind.
LIVE = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED)


def live_actions(recommendation: Recommendation) -> QuerySet[ActionItem]:
    """The recommendation's action items not done or dropped yet."""
    return ActionItem.objects.filter(recommendation_id=recommendation.pk, status__in=LIVE)


def drop_for_decision(
    actor: Viewer, recommendation: Recommendation, outcome: str, reason: str
) -> list[ActionItem]:
    """A recommendation approved before and now ``outcome`` (rejected or deferred) carries
    nothing out any more: each of its open, in progress or blocked action items is dropped
    with the decision's reason, on its timeline, audited and announced like any status
    change. Called by ``recommendations.decide`` inside its transaction (the decider's right
    to decide is the right to do this). A later approval does not bring them back."""
    label = DecisionOutcome(outcome).label.lower()
    dropped = []
    for action in (
        live_actions(recommendation)
        .select_for_update()
        .select_related("owner", "recommendation")
        .order_by("pk")
    ):
        _move(
            actor,
            action,
            ActionStatus.DROPPED,
            reason=f"The recommendation was {label}: {reason}",
            timeline=f"Dropped: the recommendation was {label} — {reason}",
            audit_reason=f"The recommendation was {label}: {reason}",
        )
        dropped.append(action)
    return dropped


@transaction.atomic
def keep_action(
    actor: Viewer, *, action: ActionItem, note: str, version: int | None = None
) -> ActionItem:
    """The review of earlier actions keeps an open action as it is, saying so on its timeline."""
    permissions.check(actor, "action.update", action)
    locked = _locked(action)
    expect_version(locked, version)
    if locked.is_closed:
        raise ValidationFailed.field("__all__", "This action is closed already.")
    note = _note(note)
    _timeline(actor, locked, f"Kept in the review. {note}")
    audit.record(actor, action="action_item.kept", obj=locked, reason=note)
    return locked


# --- the owner leaves ------------------------------------------------------------------------


def owner_left(actor: Viewer | None, *, user_id: int) -> None:
    """``member.removed``: each open action the former member owns is flagged ownerless at
    once (the program's team reassigns it), with a timeline entry."""
    if actor is None:
        return
    now = clock.now()
    rows: QuerySet[ActionItem] = (
        ActionItem.objects.select_for_update()
        .filter(workspace_id=actor.workspace_id, owner_id=user_id, ownerless_since=None)
        .exclude(status__in=[ActionStatus.DONE, ActionStatus.DROPPED])
    )
    for action in rows:
        action.ownerless_since = now
        save_new_version(action, fields=["ownerless_since"])
        _timeline(actor, action, "Owner left the workspace: it needs a new owner.")
        audit.record(
            actor,
            action="action_item.ownerless",
            obj=action,
            changes={"ownerless_since": now.isoformat()},
            reason="The owner left the workspace.",
        )
        _announce(action, "action_item.updated")


# --- reminders -------------------------------------------------------------------------------

# The owner hears this long before the due date that it is coming.
DUE_SOON = timedelta(days=3)


def send_reminders() -> dict[str, int]:
    """The periodic job: remind each owner once per kind and date (``Reminder`` rows make it
    idempotent): not started by its planned start, three days before it is due, and overdue.
    "Today" is the workspace's own date (its time zone), so an owner in Sydney is not told
    "overdue" while their due day is still running. A re-dated action is reminded again for
    its new date; ownerless actions wait for their new owner, and the actions of a
    recommendation no longer approved are not reminded. Returns how many of each went out."""
    live = ActionItem.objects.filter(
        status__in=LIVE,
        ownerless_since=None,
        # Defence in depth: a decision away from "approved" drops its actions; should one be
        # left open, it is not reminded while its recommendation is not approved.
        recommendation__outcome=DecisionOutcome.APPROVED,
    )
    sent = {"action.not_started": 0, "action.due_soon": 0, "action.overdue": 0}
    zones = live.values_list("workspace__time_zone", flat=True).distinct().order_by()
    for zone in zones:
        for kind, count in _remind_in(live.filter(workspace__time_zone=zone), zone).items():
            sent[kind] += count
    return sent


def _remind_in(live: QuerySet[ActionItem], zone: str) -> dict[str, int]:
    """The reminders due among ``live`` actions of workspaces in the time zone ``zone``."""
    from traction.debrief.emails_actions import deliver_reminder

    today = clock.today(zone)
    kinds: list[tuple[str, QuerySet[ActionItem], str]] = [
        (
            "action.not_started",
            live.filter(status=ActionStatus.OPEN, started_at=None, planned_start__lt=today),
            "planned_start",
        ),
        ("action.due_soon", live.filter(due_on__gte=today, due_on__lte=today + DUE_SOON), "due_on"),
        ("action.overdue", live.filter(due_on__lt=today), "due_on"),
    ]
    sent: dict[str, int] = {}
    for kind, rows, about in kinds:
        already = Reminder.objects.filter(
            kind=kind, subject_type="action", subject_id=OuterRef("pk"), about=OuterRef(about)
        )
        count = 0
        for action in rows.exclude(Exists(already)).only("pk", "workspace_id", "owner_id", about):
            try:
                with transaction.atomic():
                    Reminder.objects.create(
                        workspace_id=action.workspace_id,
                        kind=kind,
                        subject_type="action",
                        subject_id=action.pk,
                        about=getattr(action, about),
                        recipients=[action.owner_id],
                    )
                    transaction.on_commit(partial(deliver_reminder.enqueue, action.pk, kind))
            except IntegrityError:  # another run took it at the same moment
                continue
            count += 1
        sent[kind] = count
    return sent
