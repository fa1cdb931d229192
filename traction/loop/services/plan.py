"""Changing a program's communication plan (cadence, silence, notes, who tells whom) and the
plan's reminders (the periodic job ``loop.plan`` of ``traction remind``).

Reminders: the teller of a customer organisation and the program's facilitators (the
facilitators of its sessions) hear when an update is due within a week, when it is overdue,
when a session's promise date is near and when it passed — one digest per person per run,
never one message per event. Each reminder is recorded (``PlanReminder``, one per program,
customer, kind and due date) before the digests go, so a second run tells nobody twice; a
new due date (an update went, the cadence changed) reminds afresh.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from traction.accounts.models import Membership, User
from traction.core import audit, clock, dates, mail, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.loop import plan as plan_reads
from traction.loop.models import CommsOwner, CommsPlan, PlanReminder, PlanReminderKind
from traction.programs.models import Program, ProgramStatus
from traction.sessions.models import Participant as SessionParticipant
from traction.sessions.models import ParticipantRole

log = logging.getLogger(__name__)

CADENCE_RANGE = (7, 365)
SILENCE_RANGE = (14, 730)
PLAN_FIELDS = ["cadence_days", "silence_days", "notes"]


def _check_range(name: str, value: int, bounds: tuple[int, int], what: str) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise ValidationFailed.field(name, f"{what} must be between {low} and {high} days.")


@transaction.atomic
def save_plan(
    actor: Viewer,
    program: Program,
    *,
    cadence_days: int | None = None,
    silence_days: int | None = None,
    notes: str | None = None,
    tellers: dict[int, int | None] | None = None,
) -> CommsPlan:
    """Change the plan (only what is given). ``tellers``: customer id → the member who tells
    it (None: back to its account owner). Audited."""
    permissions.check(actor, "loop.plan", program)
    found, _ = CommsPlan.objects.select_for_update().get_or_create(program=program)
    before = audit.snapshot(found, PLAN_FIELDS)
    errors: dict[str, list[str]] = {}
    try:
        if cadence_days is not None:
            _check_range("cadence_days", cadence_days, CADENCE_RANGE, "The cadence")
            found.cadence_days = cadence_days
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        if silence_days is not None:
            _check_range("silence_days", silence_days, SILENCE_RANGE, "The silence")
            found.silence_days = silence_days
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not errors and found.silence_days <= found.cadence_days:
        errors["silence_days"] = [
            "A silence must be longer than the cadence "
            f"({found.cadence_days} days), or every customer would count as silent."
        ]
    if notes is not None:
        found.notes = notes.strip()
    changes: dict[str, Any] = {}
    if tellers:
        try:
            changes["tellers"] = _set_tellers(actor, program, tellers)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    delta = audit.diff(before, audit.snapshot(found, PLAN_FIELDS))
    delta.update({k: v for k, v in changes.items() if v})
    found.updated_by_id = actor.user_id
    found.save()
    if delta:
        audit.record(
            actor,
            action="loop.plan_changed",
            obj=program,
            workspace_id=program.workspace_id,
            changes=delta,
        )
    return found


def _set_tellers(actor: Viewer, program: Program, tellers: dict[int, int | None]) -> dict[str, Any]:
    ours = set(plan_reads.taking_part(program.pk, program.workspace_id))
    unknown = sorted(set(tellers) - ours)
    if unknown:
        raise ValidationFailed.field(
            "tellers", "Only customers who took part in this program can be given a teller."
        )
    wanted = {uid for uid in tellers.values() if uid is not None}
    members = set(
        Membership.objects.filter(
            workspace_id=program.workspace_id, user_id__in=wanted
        ).values_list("user_id", flat=True)
    )
    if wanted - members:
        raise ValidationFailed.field("tellers", "A teller must be a member of this workspace.")
    changed: dict[str, Any] = {}
    existing = {o.customer_id: o for o in CommsOwner.objects.filter(program=program)}
    for customer_id, user_id in sorted(tellers.items()):
        row = existing.get(customer_id)
        was = row.teller_id if row is not None else None
        if was == user_id:
            continue
        if row is None:
            CommsOwner.objects.create(program=program, customer_id=customer_id, teller_id=user_id)
        else:
            row.teller_id = user_id
            row.save(update_fields=["teller"])
        changed[str(customer_id)] = [was, user_id]
    return changed


# --- reminders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    program: Program
    row: plan_reads.PlanRow
    kind: str  # PlanReminderKind
    due: Any  # date

    @property
    def label(self) -> str:
        name = self.row.customer.name
        days = (self.due - self.row.today).days
        on = dates.short(self.due)
        if self.kind == PlanReminderKind.PROMISE_PASSED:
            return f"{name}: the promise to hear back by {on} passed {_days(-days)} ago."
        if self.kind == PlanReminderKind.PROMISE_NEAR:
            return f"{name}: promised to hear back by {on} ({_in_days(days)})."
        if self.kind == PlanReminderKind.OVERDUE:
            return f"{name}: the update due {on} is overdue by {_days(-days)}."
        return f"{name}: an update is due {on} ({_in_days(days)})."


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _in_days(days: int) -> str:
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def events_of(program: Program, rows: list[plan_reads.PlanRow]) -> list[Event]:
    """What the plan's rows call for: one event per organisation at most (the promise
    first, as it is what the customers were told)."""
    found = []
    for row in rows:
        left = row.days_to_due
        if row.next_due is None or left is None or left > plan_reads.DUE_SOON_DAYS:
            continue
        if row.due_because == plan_reads.Due.PROMISE:
            kind = PlanReminderKind.PROMISE_PASSED if left < 0 else PlanReminderKind.PROMISE_NEAR
        else:
            kind = PlanReminderKind.OVERDUE if left < 0 else PlanReminderKind.DUE_SOON
        found.append(Event(program, row, kind, row.next_due))
    return found


def facilitators(program: Program) -> list[User]:
    """The program's facilitators: the current facilitators of its sessions, still members."""
    members = Membership.objects.filter(workspace_id=program.workspace_id).values("user_id")
    ids = (
        SessionParticipant.objects.filter(
            session__program=program, role=ParticipantRole.FACILITATOR
        )
        .filter(user_id__in=members)
        .values("user_id")
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _claim(event: Event, people: list[User]) -> PlanReminder | None:
    """Record the reminder; None when it was already recorded (told before)."""
    try:
        with transaction.atomic():
            return PlanReminder.objects.create(
                program=event.program,
                customer=event.row.customer,
                kind=event.kind,
                due=event.due,
                sent_to=[u.pk for u in people],
                at=clock.now(),
            )
    except IntegrityError:
        return None


def run() -> dict[str, int]:
    """Every active program's plan: record the reminders not yet told, then send one digest
    per person (the periodic job; idempotent). A reminder nobody could be told (every digest
    carrying it failed) is forgotten again, so the next run retries it."""
    counts = {"programs": 0, "reminders": 0, "digests": 0, "failed": 0}
    digest: dict[int, list[tuple[Event, PlanReminder]]] = defaultdict(list)
    people: dict[int, User] = {}
    programs = Program.objects.exclude(status=ProgramStatus.CLOSED).select_related("workspace")
    for program in programs.order_by("pk"):
        counts["programs"] += 1
        rows = plan_reads.compute(program)
        found = events_of(program, rows)
        if not found:
            continue
        leads = facilitators(program)
        members = set(
            Membership.objects.filter(workspace_id=program.workspace_id).values_list(
                "user_id", flat=True
            )
        )
        for event in found:
            told = {u.pk: u for u in leads}
            teller = event.row.teller
            if teller is not None and teller.is_active and teller.pk in members:
                told.setdefault(teller.pk, teller)
            claimed = _claim(event, list(told.values())) if told else None
            if claimed is None:
                continue
            counts["reminders"] += 1
            for user in told.values():
                people[user.pk] = user
                digest[user.pk].append((event, claimed))
    reached: set[int] = set()
    claims: dict[int, PlanReminder] = {}
    for user_id, items in digest.items():
        claims.update({c.pk: c for _, c in items})
        try:
            send_digest(people[user_id], [e for e, _ in items])
        except Exception:  # the others still get theirs
            log.exception("communication plan: the digest to user %s failed", user_id)
            counts["failed"] += 1
        else:
            counts["digests"] += 1
            reached.update(c.pk for _, c in items)
    for pk, claim in claims.items():
        if pk not in reached:
            claim.delete()
            counts["reminders"] -= 1
    return counts


def plan_link(program: Program) -> str:
    path = reverse("loop:plan", args=[program.workspace.slug, program.pk])
    return settings.TRACTION_SITE_URL.rstrip("/") + path


def send_digest(user: User, events: list[Event]) -> int:
    """One email listing every reminder for ``user``, grouped by program."""
    by_program: dict[int, dict[str, Any]] = {}
    for event in events:
        entry = by_program.setdefault(
            event.program.pk,
            {"program": event.program, "link": plan_link(event.program), "events": []},
        )
        entry["events"].append(event)
    groups = list(by_program.values())
    overdue = sum(
        1 for e in events if e.kind in (PlanReminderKind.OVERDUE, PlanReminderKind.PROMISE_PASSED)
    )
    subject = (
        f"Customer updates: {overdue} overdue, {len(events) - overdue} due soon"
        if overdue
        else f"Customer updates due soon: {len(events)}"
    )
    context = {"user": user, "groups": groups}
    text = render_to_string("loop/plan/email/digest.txt", context).strip() + "\n"
    html = render_to_string("loop/plan/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((user.full_name, user.email))],
    )
    message.attach_alternative(html, "text/html")
    return mail.outgoing(message).send()
