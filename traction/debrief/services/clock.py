"""The debrief clock: which sessions need a debrief, the debrief created and booked when its
session is planned, moved with it, cancelled with it; answers to the booked slot; opening
the room; the append-only clock events; the periodic job that catches up and reminds.

Rules (docs/debrief.md):

- A session of a kind the workspace names (``DebriefSettings.kinds``; co-design and advisory
  board by default) gets a debrief when it is planned: due ``DEBRIEF_DUE_AFTER`` (24 real
  hours) after the session ends, the actual end once it is marked held; a session recorded
  afterwards (planned once over) from when it was recorded (``recorded_afterwards``).
- The slot is booked at once (``default_slot``): one hour after the session ends when that
  start falls between 08:00 and 14:00 in the session's time zone (so a three-hour meeting
  ends by 17:00), else at the next 09:00 there; the workspace's default length (180
  minutes); where the session takes place unless the facilitator names another place or
  link. The facilitator moves it on the booking page.
- The invitees are the program's current core team, its executive sponsor and its current
  policy makers; each gets the .ics (METHOD:REQUEST, one UID, SEQUENCE raised by each change).
- ``traction remind`` (``clock_job``) creates the debriefs sessions planned before this
  feature never got, and reminds the facilitator and the core team once per stage: the
  session ended, 4 hours before due, late, missed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import one_line_problem
from traction.core.writes import expect_version, save_new, save_new_version, validate
from traction.debrief.models import (
    DEBRIEF_DEFAULT_MINUTES,
    DEBRIEF_DUE_AFTER,
    DEBRIEF_MISSED_AFTER,
    DEFAULT_DEBRIEF_KINDS,
    Attendee,
    ClockEvent,
    Debrief,
    DebriefSettings,
    DebriefStatus,
    Reminder,
)
from traction.programs.models import PolicyMaker, Program, ProgramMember
from traction.sessions.models import Session, SessionKind, SessionStatus

logger = logging.getLogger(__name__)

# The booked slot: this long after the session ends, if that start is within working hours.
SLOT_GAP = timedelta(hours=1)
SLOT_EARLIEST = time(8, 0)
SLOT_LATEST_START = time(14, 0)
SLOT_MORNING = time(9, 0)
# Reminded this long before the debrief is due.
DUE_SOON = timedelta(hours=4)
MIN_MINUTES, MAX_MINUTES = 30, 8 * 60
ANSWERS = ("accepted", "declined", "tentative")
STALE_BOOKING = (
    "This debrief's booking was changed by someone else since you opened it. "
    "Reload to see the new slot, then apply yours again."
)


# --- which sessions need a debrief ------------------------------------------------------------


def settings_of(workspace_id: int) -> DebriefSettings:
    """The workspace's debrief settings; the defaults (unsaved) when it never chose."""
    found = DebriefSettings.objects.filter(workspace_id=workspace_id).first()
    if found is None:
        return DebriefSettings(
            workspace_id=workspace_id,
            kinds=list(DEFAULT_DEBRIEF_KINDS),
            default_minutes=DEBRIEF_DEFAULT_MINUTES,
        )
    return found


def needs_debrief(session: Session, kinds: Iterable[str] | None = None) -> bool:
    kinds = settings_of(session.workspace_id).kinds if kinds is None else kinds
    return session.status != SessionStatus.CANCELLED and session.kind in set(kinds)


@transaction.atomic
def update_settings(actor: Viewer, *, kinds: list[str], default_minutes: int) -> DebriefSettings:
    """Choose which session kinds need a debrief and the booked meeting's default length.
    Sessions already planned keep their debriefs. A kind added now applies to its sessions
    that end from now on (they get theirs at the next ``traction remind``); its past
    sessions get none, so adding a kind never makes a backlog of missed debriefs."""
    permissions.check(actor, "debrief.settings")
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(kinds) - set(SessionKind.values))
    if unknown:
        more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
        shown = ", ".join(k[:40] for k in unknown[:10])
        errors["kinds"] = [f"Unknown session kind: {shown}{more}."]
    if (
        not isinstance(default_minutes, int)
        or isinstance(default_minutes, bool)
        or not MIN_MINUTES <= default_minutes <= MAX_MINUTES
    ):
        errors["default_minutes"] = [
            f"Give the length in minutes, between {MIN_MINUTES} and {MAX_MINUTES}."
        ]
    if errors:
        raise ValidationFailed(errors)
    row, _ = DebriefSettings.objects.select_for_update().get_or_create(
        workspace_id=actor.workspace_id,
        defaults={"kinds": list(DEFAULT_DEBRIEF_KINDS), "default_minutes": DEBRIEF_DEFAULT_MINUTES},
    )
    had: list[str] = list(row.kinds)
    before = {"kinds": had, "default_minutes": row.default_minutes}
    row.kinds = [k for k in SessionKind.values if k in set(kinds)]  # in the choices' order
    added_at = {k: v for k, v in (row.kinds_added_at or {}).items() if k in row.kinds}
    for kind in set(row.kinds) - set(had):
        added_at[kind] = clock.now().isoformat()
    row.kinds_added_at = added_at
    row.default_minutes = default_minutes
    row.save()
    after = {"kinds": row.kinds, "default_minutes": row.default_minutes}
    audit.record(
        actor,
        action="debrief.settings_changed",
        obj=row,
        workspace_id=actor.workspace_id,
        changes=audit.diff(before, after),
    )
    return row


# --- the clock events -------------------------------------------------------------------------

# Once per debrief, whatever its deadline.
_ONCE = {ClockEvent.Kind.HELD, ClockEvent.Kind.CLOSED, ClockEvent.Kind.CANCELLED}
# Once per deadline: a debrief moved to a new deadline is due (late, missed) anew.
_ONCE_PER_DEADLINE = {ClockEvent.Kind.DUE, ClockEvent.Kind.LATE, ClockEvent.Kind.MISSED}


def record_clock_event(debrief: Debrief, kind: str, note: str = "") -> ClockEvent | None:
    """Append a clock event (``ClockEvent.Kind``), with the deadline as it stands. Idempotent:
    held, closed and cancelled are recorded once per debrief; due, late and missed once per
    deadline; booked and reminded each time they happen. None when already recorded.
    Program health reads these; the pack's close service records ``closed`` here."""
    if kind not in ClockEvent.Kind.values:
        raise ValueError(f"Unknown clock event {kind!r}; use one of {ClockEvent.Kind.values}.")
    existing = ClockEvent.objects.filter(debrief=debrief, kind=kind)
    if kind in _ONCE and existing.exists():
        return None
    if kind in _ONCE_PER_DEADLINE and existing.filter(due_at=debrief.due_at).exists():
        return None
    return ClockEvent.objects.create(
        workspace_id=debrief.workspace_id,
        debrief=debrief,
        kind=kind,
        due_at=debrief.due_at,
        note=note[:300],
    )


# --- creating and booking -----------------------------------------------------------------------


def due_of(session: Session, *, from_recording: bool = True) -> datetime:
    """24 real hours after the session's end (its actual end once held): UTC arithmetic, so
    a night the clocks change still gives 24 hours. A session recorded afterwards (planned
    once it was already over) has its clock start when it was recorded: its debrief is due
    24 hours after that, not late the moment it exists (``from_recording=False``: never, for
    a debrief the periodic job caught up, which is late by design)."""
    start = session.ended_at
    if from_recording and recorded_afterwards(session):
        start = session.created_at
    return (start.astimezone(UTC) + DEBRIEF_DUE_AFTER).astimezone(UTC)


def recorded_afterwards(session: Session) -> bool:
    """The session was planned in Traction only after it had ended (its planned end, or
    its actual end once held)."""
    return session.created_at is not None and session.created_at > session.ended_at


def default_slot(
    session: Session, minutes: int, *, from_recording: bool = True
) -> tuple[datetime, datetime]:
    """The slot booked with the session (see the module's rules), in UTC; for a session
    recorded afterwards, counted from when it was recorded (so the slot is not past)."""
    tz = session.tz
    base = session.ended_at
    if from_recording and recorded_afterwards(session):
        base = session.created_at
    start = (base + SLOT_GAP).astimezone(tz)
    # On a quarter hour, so the invitation reads 15:30, not 15:27.
    extra = (-start.minute) % 15
    start = (start + timedelta(minutes=extra)).replace(second=0, microsecond=0)
    if not SLOT_EARLIEST <= start.time() <= SLOT_LATEST_START:
        day = start.date() if start.time() < SLOT_EARLIEST else start.date() + timedelta(days=1)
        start = datetime.combine(day, SLOT_MORNING, tzinfo=tz)
    start_utc = start.astimezone(UTC)
    return start_utc, start_utc + timedelta(minutes=minutes)


def invitees(program: Program) -> list[tuple[int, bool]]:
    """(user id, is a policy maker) of who is asked to the debrief: the current core team,
    the executive sponsor and the current policy makers, each once."""
    chosen: dict[int, bool] = {}
    core = ProgramMember.objects.filter(
        program=program, kind=ProgramMember.Kind.CORE_TEAM
    ).values_list("user_id", flat=True)
    for user_id in core:
        chosen[user_id] = False
    if program.executive_sponsor_id:
        chosen[program.executive_sponsor_id] = True
    for user_id in PolicyMaker.objects.filter(program=program).values_list("user_id", flat=True):
        chosen[user_id] = True
    return sorted(chosen.items())


def _sync_attendees(debrief: Debrief) -> list[Attendee]:
    """Invite whoever of the program's team and policy makers is not invited yet (nobody is
    uninvited: their answer is history); the new rows."""
    have = set(debrief.attendees.values_list("user_id", flat=True))
    new = [
        Attendee(debrief=debrief, user_id=user_id, is_policy_maker=pm)
        for user_id, pm in invitees(debrief.session.program)
        if user_id not in have
    ]
    return Attendee.objects.bulk_create(new)


def _send_calendars(debrief: Debrief, kind: str) -> None:
    """Queue every attendee's .ics (invite, update or cancel) when the transaction commits;
    the task sends what is true then."""
    from .clock_mail import deliver_debrief_calendar

    ids = list(debrief.attendees.values_list("pk", flat=True))

    def enqueue() -> None:
        for pk in ids:
            deliver_debrief_calendar.enqueue(pk, kind)

    transaction.on_commit(enqueue)


def create_debrief(
    actor: Viewer | None, session: Session, *, catching_up: bool = False
) -> Debrief | None:
    """The session's debrief, due and booked, its invitations queued (none for a slot
    already past). Idempotent: the existing debrief when there is one; None when the
    session's kind needs none."""
    existing = Debrief.objects.filter(session=session).first()
    if existing is not None:
        return existing
    found = settings_of(session.workspace_id)
    if not needs_debrief(session, found.kinds):
        return None
    starts_at, ends_at = default_slot(
        session, found.default_minutes, from_recording=not catching_up
    )
    try:
        with transaction.atomic():
            debrief = save_new(
                Debrief(
                    workspace_id=session.workspace_id,
                    session=session,
                    program_id=session.program_id,
                    due_at=due_of(session, from_recording=not catching_up),
                    clock_from_recording=not catching_up and recorded_afterwards(session),
                    starts_at=starts_at,
                    ends_at=ends_at,
                    # Empty: where the session was (``clock_mail.place``); never copied,
                    # so a name erased from the session's place leaves no copy behind.
                )
            )
    except (IntegrityError, ValidationFailed):  # created meanwhile by a racing run
        return Debrief.objects.filter(session=session).first()
    _sync_attendees(debrief)
    now = clock.now()
    if catching_up:
        record_clock_event(
            debrief,
            ClockEvent.Kind.DUE,
            f"{CAUGHT_UP}: the session was planned before its debrief was booked; due "
            f"{debrief.due_at.astimezone(ZoneInfo(session.time_zone)):%Y-%m-%d %H:%M} "
            f"({session.time_zone}).",
        )
    elif recorded_afterwards(session):
        record_clock_event(debrief, ClockEvent.Kind.DUE, RECORDED_AFTERWARDS)
    else:
        record_clock_event(debrief, ClockEvent.Kind.DUE)
    if debrief.starts_at > now:
        record_clock_event(debrief, ClockEvent.Kind.BOOKED, _slot_note(debrief))
        _send_calendars(debrief, "invite")
    audit.record(
        actor,
        action="debrief.created",
        obj=debrief,
        changes=audit.snapshot(debrief, ["due_at", "starts_at", "ends_at"]),
        reason="caught up by traction remind" if catching_up else "",
    )
    return debrief


RECORDED_AFTERWARDS = "Recorded after the session ended: due 24 hours after it was recorded."
CAUGHT_UP = "Recorded late"  # how the note of a debrief the periodic job caught up begins


def _due_now(debrief: Debrief, session: Session) -> datetime:
    """The deadline as the session stands now: from its recording only for a debrief whose
    clock started so (``clock_from_recording``), never for one the periodic job caught up."""
    return due_of(session, from_recording=debrief.clock_from_recording)


def _slot_note(debrief: Debrief) -> str:
    local = debrief.starts_at.astimezone(debrief.session.tz)
    return f"Booked for {local:%Y-%m-%d %H:%M} ({debrief.session.time_zone})"


def _locked(session: Session) -> Debrief | None:
    return (
        Debrief.objects.select_for_update()
        .select_related("session__program")
        .filter(session_id=session.pk)
        .first()
    )


def on_session_planned(actor: Viewer | None, session: Session) -> None:
    create_debrief(actor, session)


def on_session_rescheduled(actor: Viewer | None, session: Session) -> None:
    """Move the deadline with the session, and the slot by as much while the room is not
    open yet; invitees get the update."""
    debrief = _locked(session)
    if debrief is None:
        create_debrief(actor, session)
        return
    if debrief.status == DebriefStatus.CANCELLED or debrief.closed_at is not None:
        return
    old_due = debrief.due_at
    new_due = _due_now(debrief, session)
    if new_due == old_due:
        return
    debrief.due_at = new_due
    moved_slot = debrief.opened_at is None
    # Recorded afterwards, and now corrected to a time ahead (a wrong year, say): its clock
    # runs from the session's end like any other, and it is booked as if planned so.
    corrected = debrief.clock_from_recording and not recorded_afterwards(session)
    if corrected:
        debrief.clock_from_recording = False
    if moved_slot and corrected:
        length = debrief.ends_at - debrief.starts_at
        debrief.starts_at, _ = default_slot(session, 0)
        debrief.ends_at = debrief.starts_at + length
        debrief.calendar_sequence += 1
    elif moved_slot:
        shift = new_due - old_due
        debrief.starts_at += shift
        debrief.ends_at += shift
        debrief.calendar_sequence += 1
    save_new_version(debrief)
    record_clock_event(debrief, ClockEvent.Kind.DUE, "The session was rescheduled.")
    if moved_slot:
        record_clock_event(debrief, ClockEvent.Kind.BOOKED, _slot_note(debrief))
        _sync_attendees(debrief)
        _send_calendars(debrief, "update")
    audit.record(
        actor,
        action="debrief.rescheduled",
        obj=debrief,
        changes={"due_at": [old_due.isoformat(), new_due.isoformat()]},
    )


def on_session_held(actor: Viewer | None, session: Session) -> None:
    """The deadline runs from the actual end the facilitator confirmed."""
    debrief = _locked(session)
    if debrief is None:
        create_debrief(actor, session)
        return
    if debrief.status == DebriefStatus.CANCELLED:
        return
    new_due = _due_now(debrief, session)
    if new_due == debrief.due_at:
        return
    old_due = debrief.due_at
    debrief.due_at = new_due
    save_new_version(debrief)
    local_end = session.ended_at.astimezone(session.tz)
    record_clock_event(
        debrief,
        ClockEvent.Kind.DUE,
        f"Held; it ended at {local_end:%Y-%m-%d %H:%M} ({session.time_zone}).",
    )
    audit.record(
        actor,
        action="debrief.rescheduled",
        obj=debrief,
        changes={"due_at": [old_due.isoformat(), new_due.isoformat()]},
        reason="session held",
    )


def on_session_cancelled(actor: Viewer | None, session: Session) -> None:
    """No session, no debrief: cancelled, and the slot taken out of every calendar."""
    debrief = _locked(session)
    if debrief is None or debrief.status == DebriefStatus.CANCELLED:
        return
    debrief.status = DebriefStatus.CANCELLED
    debrief.calendar_sequence += 1
    save_new_version(debrief)
    record_clock_event(debrief, ClockEvent.Kind.CANCELLED, "The session was cancelled.")
    _send_calendars(debrief, "cancel")
    audit.record(actor, action="debrief.cancelled", obj=debrief, reason="session cancelled")


def on_debrief_closed(debrief: Debrief) -> None:
    """Closed before its booked slot ended (held early, or at another time): take the slot
    out of every invitee's calendar, with a line saying when it was held. The caller holds
    the debrief's lock and saves it; this bumps its calendar sequence."""
    if debrief.ends_at <= clock.now():
        return  # the slot is over: nothing left in anyone's calendar to take out
    debrief.calendar_sequence += 1
    Debrief.objects.filter(pk=debrief.pk).update(calendar_sequence=debrief.calendar_sequence)
    _send_calendars(debrief, "closed")


def _wall_clock(value: datetime, tz_name: str) -> datetime:
    if timezone.is_aware(value):
        return value
    aware = clock.in_zone(value, tz_name)
    if aware.astimezone(UTC).astimezone(aware.tzinfo).replace(tzinfo=None) != value:
        raise ValidationFailed.field(
            "starts_at",
            f"{value:%H:%M} on {value:%Y-%m-%d} does not exist in {tz_name} (clocks go "
            "forward); pick another time.",
        )
    return aware


@transaction.atomic
def update_booking(
    actor: Viewer,
    *,
    debrief: Debrief,
    starts_at: datetime,
    minutes: int,
    location: str = "",
    video_link: str = "",
    version: int | None = None,
) -> Debrief:
    """Move the booked slot (a wall-clock start is read in the session's zone), or change
    where it is; every invitee gets the update with a new SEQUENCE."""
    permissions.check(actor, "debrief.run", debrief)
    debrief = Debrief.objects.select_for_update().select_related("session").get(pk=debrief.pk)
    expect_version(debrief, version, message=STALE_BOOKING)
    if debrief.status in (DebriefStatus.CANCELLED, DebriefStatus.CLOSED):
        raise ValidationFailed.field(
            "__all__", f"This debrief is {debrief.get_status_display().lower()}; it has no slot."
        )
    if debrief.opened_at is not None:
        raise ValidationFailed.field("__all__", "The room is open: the slot can no longer move.")
    errors: dict[str, list[str]] = {}
    if (
        not isinstance(minutes, int)
        or isinstance(minutes, bool)
        or not MIN_MINUTES <= minutes <= MAX_MINUTES
    ):
        errors["minutes"] = [
            f"Give the length in minutes, between {MIN_MINUTES} and {MAX_MINUTES}."
        ]
    if problem := one_line_problem(location):
        errors["location"] = [problem]
    if errors:
        raise ValidationFailed(errors)
    start = _wall_clock(starts_at, debrief.session.time_zone)
    if start < debrief.session.starts_at:
        raise ValidationFailed.field("starts_at", "The debrief cannot start before its session.")
    fields = ["starts_at", "ends_at", "location", "video_link"]
    before = audit.snapshot(debrief, fields)
    debrief.starts_at = start.astimezone(UTC)
    debrief.ends_at = debrief.starts_at + timedelta(minutes=minutes)
    debrief.location = location.strip()
    debrief.video_link = video_link.strip()
    validate(debrief)
    delta = audit.diff(before, audit.snapshot(debrief, fields))
    if not delta:
        return debrief
    debrief.calendar_sequence += 1
    save_new_version(debrief)
    _sync_attendees(debrief)
    note = _slot_note(debrief)
    if debrief.starts_at > debrief.due_at:
        note += "; after the deadline"
    record_clock_event(debrief, ClockEvent.Kind.BOOKED, note)
    audit.record(actor, action="debrief.booked", obj=debrief, changes=delta)
    _send_calendars(debrief, "update")
    return debrief


@transaction.atomic
def respond(actor: Viewer, *, debrief: Debrief, answer: str) -> Attendee:
    """An invited member accepts, declines or tentatively accepts the booked slot."""
    permissions.check(actor, "debrief.respond", debrief)
    if answer not in ANSWERS:
        raise ValidationFailed.field("answer", "Answer accepted, declined or tentative.")
    status = Debrief.objects.select_for_update().values_list("status", flat=True).get(pk=debrief.pk)
    if status == DebriefStatus.CANCELLED:
        raise ValidationFailed.field("answer", "This debrief was cancelled with its session.")
    if status == DebriefStatus.CLOSED:
        raise ValidationFailed.field(
            "answer", "This debrief is closed: its invitation can no longer be answered."
        )
    attendee = Attendee.objects.select_for_update().get(debrief=debrief, user_id=actor.user_id)
    if attendee.response != answer:
        old = attendee.response
        attendee.response = answer
        attendee.save(update_fields=["response"])
        audit.record(
            actor,
            action="debrief.responded",
            obj=debrief,
            changes={"response": [old, answer]},
        )
    return attendee


def open_debrief(actor: Viewer, *, debrief: Debrief) -> Debrief:
    """Open the room: the debrief is held now (on time, late or missed against its deadline);
    the room's service stamps it and records ``held`` on the clock, once."""
    from .room import open_debrief as open_room

    return open_room(actor, debrief)


# --- the periodic job: catch up, then remind ----------------------------------------------------


def _catch_up_filter() -> Q:
    """The sessions each workspace needs a debrief for: its kinds (the defaults when it
    never chose), and for a kind it added later only the sessions ending after it did."""
    rows = list(DebriefSettings.objects.all())
    needed = Q(kind__in=DEFAULT_DEBRIEF_KINDS) & ~Q(workspace_id__in=[r.workspace_id for r in rows])
    for row in rows:
        added_at = row.kinds_added_at or {}
        always = [k for k in row.kinds if k not in added_at]
        if always:
            needed |= Q(workspace_id=row.workspace_id, kind__in=always)
        for kind, since in added_at.items():
            if kind in row.kinds:
                needed |= Q(
                    workspace_id=row.workspace_id,
                    kind=kind,
                    ends_at__gt=datetime.fromisoformat(since),
                )
    return needed


def catch_up() -> int:
    """Create the debrief of every session that needs one and has none (sessions planned
    before debriefs were booked, or of a kind the workspace added since, ending after it
    was added): the clock records them as found now. Reads only the sessions each
    workspace needs. How many were created."""
    candidates = (
        Session.objects.filter(_catch_up_filter(), debrief__isnull=True)
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("program")
        .order_by("id")
    )
    created = 0
    for session in candidates.iterator():
        with transaction.atomic():
            if create_debrief(None, session, catching_up=True) is not None:
                created += 1
    return created


# The stages a debrief not yet held goes through, each reminded once (the latest one seen).
STAGES = ("session_ended", "due_soon", "late", "missed")


def stage_of(debrief: Debrief, now: datetime) -> str:
    if now > debrief.due_at + DEBRIEF_MISSED_AFTER:
        return "missed"
    if now > debrief.due_at:
        return "late"
    if now >= debrief.due_at - DUE_SOON:
        return "due_soon"
    return "session_ended"


def reminder_recipients(debrief: Debrief) -> list[tuple[int, str]]:
    """(user id, email) of whom a reminder goes to: the session's facilitator (who planned
    it) and the program's current core team, members of the workspace now."""
    from traction.accounts.models import User

    ids = set(
        ProgramMember.objects.filter(
            program_id=debrief.program_id, kind=ProgramMember.Kind.CORE_TEAM
        ).values_list("user_id", flat=True)
    )
    if debrief.session.created_by_id:
        ids.add(debrief.session.created_by_id)
    users = User.objects.filter(
        pk__in=ids,
        memberships__workspace_id=debrief.workspace_id,
        memberships__archived_at__isnull=True,
        is_active=True,
    ).exclude(email="")
    return sorted(users.values_list("pk", "email").distinct())


def remind() -> dict[str, int]:
    """Remind once per stage each debrief whose session ended and whose room is not open;
    record late and missed on the clock. Idempotent."""
    from .clock_mail import queue_reminder

    now = clock.now()
    counts = {"reminded": 0, "late": 0, "missed": 0}
    waiting = (
        Debrief.objects.filter(
            status=DebriefStatus.BOOKED,
            opened_at__isnull=True,
            due_at__lte=now + DEBRIEF_DUE_AFTER,
        )
        .select_related("session", "program", "workspace")
        .order_by("due_at", "id")
    )
    for debrief in waiting.iterator():
        if debrief.session.ended_at > now:  # held later than planned, not over yet
            continue
        stage = stage_of(debrief, now)
        with transaction.atomic():
            if stage == "late" and record_clock_event(debrief, ClockEvent.Kind.LATE):
                counts["late"] += 1
            if stage == "missed" and record_clock_event(
                debrief,
                ClockEvent.Kind.MISSED,
                f"Not held within {DEBRIEF_MISSED_AFTER.days} days of its deadline.",
            ):
                counts["missed"] += 1
            recipients = reminder_recipients(debrief)
            _, created = Reminder.objects.get_or_create(
                kind=f"debrief_{stage}",
                subject_type="debrief",
                subject_id=debrief.pk,
                about=debrief.due_at.astimezone(UTC).date(),
                defaults={
                    "workspace_id": debrief.workspace_id,
                    "recipients": [email for _, email in recipients],
                },
            )
            if not created:
                continue
            record_clock_event(
                debrief,
                ClockEvent.Kind.REMINDED,
                f"{stage.replace('_', ' ').capitalize()}: {len(recipients)} reminded.",
            )
            if recipients:
                queue_reminder(debrief, stage, [email for _, email in recipients])
            counts["reminded"] += 1
    return counts


def clock_job() -> dict[str, int]:
    """The periodic job (``traction remind``): catch up, then remind."""
    created = catch_up()
    return {"created": created, **remind()}


def answers_of(debrief: Debrief) -> dict[str, Any]:
    """How the invitees answered: counts, and whether a policy maker accepted."""
    rows = list(debrief.attendees.values_list("response", "is_policy_maker"))
    return {
        "invited": len(rows),
        "accepted": sum(1 for r, _ in rows if r == "accepted"),
        "policy_maker_accepted": any(r == "accepted" and pm for r, pm in rows),
    }


def pending_filter() -> Q:
    return Q(status=DebriefStatus.BOOKED, opened_at__isnull=True)
