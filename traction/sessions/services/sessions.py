"""Use-cases that plan a session and its agenda: plan, change and cancel a session, replace
its agenda, and link the practice session that rehearses it. A change to the calendar fields
or a cancellation sends every invitee a calendar update after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone

from traction.core import audit, clock, dates, events, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import one_line_problem, require_one_line
from traction.core.writes import expect_version, save_new, save_new_version, validate
from traction.programs.models import Program
from traction.sessions import agenda as templates
from traction.sessions import records
from traction.sessions.models import AgendaItem, RsvpStatus, Session, SessionKind, SessionStatus

from .common import briefing_action, queue_on_commit, require_open, resolve_notices
from .rsvps import request_reconfirmation, unanswered_action

STALE_SESSION = "This session was changed by someone else since you opened it. Reload it."
SESSION_FIELDS = [
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "time_zone",
    "location",
    "video_link",
    "hear_back_by",
]
# What may still change once the session is over: the promise of its "Next steps".
AFTER_THE_SESSION = {"hear_back_by"}
# A change to any of these changes the calendar event: invitees get an update.
CALENDAR_FIELDS = {"title", "starts_at", "ends_at", "time_zone", "location", "video_link"}


def _wall_clock(value: datetime, tz_name: str, field: str) -> datetime:
    """A naive wall-clock time read in ``tz_name``; refused when that zone skips it (the hour
    the clocks go forward), instead of silently moving the session by an hour."""
    if timezone.is_aware(value):
        return value
    aware = clock.in_zone(value, tz_name)
    if aware.astimezone(UTC).astimezone(aware.tzinfo).replace(tzinfo=None) != value:
        day = dateformat.format(value, "j F Y")
        raise ValidationFailed.field(
            field,
            f"{value:%H:%M} on {day} does not exist in {tz_name} (clocks go forward); "
            "pick another time.",
        )
    return aware


END_BEFORE_START = "The session must end after it starts."  # the model's own words


def _wall_clocks(
    times: dict[str, datetime], tz_name: str, other: dict[str, datetime] | None = None
) -> dict[str, datetime]:
    """``times`` (``starts_at``, ``ends_at`` or both) read in ``tz_name``, every error in one
    pass: each time the zone skips, and, when one was skipped, an end not after the start
    (compared as wall-clock times; ``other``: the session's current times for the one not
    given). Without a skipped time the model's own check (``Session.clean``) says the rest."""
    errors: dict[str, list[str]] = {}
    found: dict[str, datetime] = {}
    for key, value in times.items():
        try:
            found[key] = _wall_clock(value, tz_name, key)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        zone = clock.zone(tz_name)

        def local(value: datetime) -> datetime:
            return (
                value.astimezone(zone).replace(tzinfo=None) if timezone.is_aware(value) else value
            )

        start = times.get("starts_at", (other or {}).get("starts_at"))
        end = times.get("ends_at", (other or {}).get("ends_at"))
        if start is not None and end is not None and local(end) <= local(start):
            errors.setdefault("ends_at", []).append(END_BEFORE_START)
        raise ValidationFailed(errors)
    return found


def past_warning(session: Session) -> str:
    """Said when a session is planned with an end already past: recording a session held
    in the past is allowed, but a wrong year is likelier (2025 typed for 2027)."""
    if not session.has_ended:
        return ""
    return (
        f"{ended_on(session)} It is recorded as a session held in the past (a debrief it "
        "needs is due 24 hours from now). If the date is a mistake, correct it before "
        "anything is recorded from the session."
    )


def ended_on(session: Session) -> str:
    day = dateformat.format(session.local_end, "j F Y")
    return f"This session ended on {day} — already over."


def _check_hear_back_by(session: Session) -> None:
    """The promised date comes after the session starts (its own calendar day or later)."""
    if session.hear_back_by is not None and session.hear_back_by < session.local_start.date():
        raise ValidationFailed.field(
            "hear_back_by",
            "Customers cannot hear back before the session starts "
            f"({dates.short(session.local_start)}); pick a later date.",
        )


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
    require_one_line(title=title)
    clock.zone(time_zone)
    at = _wall_clocks({"starts_at": starts_at, "ends_at": ends_at}, time_zone)
    session = save_new(
        Session(
            workspace_id=actor.workspace_id,
            program=program,
            kind=kind,
            title=title.strip(),
            starts_at=at["starts_at"],
            ends_at=at["ends_at"],
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
    events.publish("session.planned", actor, session=session)
    return session


@transaction.atomic
def update_session(
    actor: Viewer, *, session: Session, changes: dict[str, Any], version: int | None = None
) -> Session:
    """Change a session; a change to its time, place or link sends invitees and internal
    participants an update, and a new time asks the customers who accepted to confirm it.
    Once it is over and marked held, or with something recorded from it
    (``records.over_refusal``), only when its customers hear back (``hear_back_by``) still
    changes; one over with nothing of it recorded (planned with a wrong date) may be
    corrected."""
    from traction.sessions.tasks import deliver_invitation, deliver_participant_calendar

    permissions.check(actor, "session.plan", session)
    refused = sorted(set(changes) - set(SESSION_FIELDS))
    if refused:
        raise ValidationFailed({f: ["This field cannot be changed here."] for f in refused})
    require_one_line(**{k: v for k, v in changes.items() if k == "title"})
    session = Session.objects.select_for_update().get(pk=session.pk)
    expect_version(session, version, message=STALE_SESSION)
    if session.is_cancelled:
        require_open(session)
    # Before the change: a session that was over and held (or with content) stays closed.
    closed = records.over_refusal(session)
    tz_name = changes.get("time_zone", session.time_zone)
    times = {k: v for k, v in changes.items() if k in ("starts_at", "ends_at")}
    current = {"starts_at": session.starts_at, "ends_at": session.ends_at}
    for key, value in _wall_clocks(
        {k: v for k, v in times.items() if isinstance(v, datetime)}, tz_name, current
    ).items():
        # In UTC, as read back from the database: an unchanged time is no change.
        changes[key] = value.astimezone(UTC)
    before = audit.snapshot(session, SESSION_FIELDS)
    was_at = (session.starts_at, session.ends_at)
    for name, value in changes.items():
        setattr(
            session,
            name,
            value.strip() if isinstance(value, str) and name != "time_zone" else value,
        )
    validate(session)
    _check_hear_back_by(session)
    delta = audit.diff(before, audit.snapshot(session, SESSION_FIELDS))
    if not delta:
        return session
    if closed and set(delta) - AFTER_THE_SESSION:
        raise ValidationFailed.field("__all__", closed)
    calendar_changed = bool(CALENDAR_FIELDS & set(delta))
    if calendar_changed:
        session.calendar_sequence += 1
    save_new_version(session)
    audit.record(actor, action="session.changed", obj=session, changes=delta)
    # A new time (not only a new place or link): who had accepted is asked to confirm it.
    if (session.starts_at, session.ends_at) != was_at:
        request_reconfirmation(actor, session=session)
        events.publish("session.rescheduled", actor, session=session)
    if calendar_changed:
        for invitation in session.invitations.exclude(rsvp=RsvpStatus.DECLINED):
            kind = "reconfirm" if invitation.rsvp == RsvpStatus.RECONFIRM else "update"
            queue_on_commit(deliver_invitation, invitation.pk, kind)
        for participant in session.participants.all():
            queue_on_commit(deliver_participant_calendar, participant.pk, "update")
    return session


@transaction.atomic
def mark_session_held(
    actor: Viewer,
    *,
    session: Session,
    actual_end: datetime | None = None,
    version: int | None = None,
) -> Session:
    """The facilitator confirms the session took place and when it actually ended (the
    planned end unless given; a wall-clock time without a zone is read in the session's
    zone). Saying it again corrects the actual end. The debrief clock runs from it."""
    permissions.check(actor, "session.plan", session)
    session = Session.objects.select_for_update().get(pk=session.pk)
    expect_version(session, version, message=STALE_SESSION)
    # Not ``require_open``: a session is marked held once it is over.
    if session.is_cancelled:
        raise ValidationFailed.field("__all__", "A cancelled session cannot be held.")
    now = clock.now()
    if session.starts_at > now:
        raise ValidationFailed.field("actual_end", "A session that has not started cannot be held.")
    end = (
        session.ends_at
        if actual_end is None
        else _wall_clock(actual_end, session.time_zone, "actual_end")
    )
    if end <= session.starts_at:
        raise ValidationFailed.field("actual_end", "The session must end after it starts.")
    if end > now:
        raise ValidationFailed.field("actual_end", "The actual end cannot be in the future.")
    if session.held_at is not None and session.actual_ends_at == end:
        return session  # said again, unchanged: no new version, nothing to audit
    before = audit.snapshot(session, ["held_at", "actual_ends_at"])
    if session.held_at is None:
        session.held_at = now
        session.held_by_id = actor.user_id
    session.actual_ends_at = end
    save_new_version(session)
    audit.record(
        actor,
        action="session.held",
        obj=session,
        changes=audit.diff(before, audit.snapshot(session, ["held_at", "actual_ends_at"])),
    )
    events.publish("session.held", actor, session=session)
    # Its participants' "read your briefing" notices asked for something before the session.
    resolve_notices(*map(briefing_action, session.participants.values_list("pk", flat=True)))
    return session


@transaction.atomic
def cancel_session(actor: Viewer, *, session: Session, reason: str) -> Session:
    """Cancel a session; every invitee and internal participant gets a calendar cancellation.
    A session that is over may be cancelled only while nothing ties it to having taken place
    (not marked held, nothing recorded from it: ``records.over_refusal``)."""
    from traction.sessions.tasks import deliver_invitation, deliver_participant_calendar

    permissions.check(actor, "session.plan", session)
    if not reason.strip():
        raise ValidationFailed.field("reason", "Say why the session is cancelled.")
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.is_cancelled:
        require_open(session)
    if closed := records.over_refusal(session):
        raise ValidationFailed.field("__all__", closed)
    session.status = SessionStatus.CANCELLED
    session.calendar_sequence += 1
    save_new_version(session)
    audit.record(actor, action="session.cancelled", obj=session, reason=reason.strip())
    events.publish("session.cancelled", actor, session=session)
    for invitation in session.invitations.all():
        queue_on_commit(deliver_invitation, invitation.pk, "cancel")
    for participant in session.participants.all():
        queue_on_commit(deliver_participant_calendar, participant.pk, "cancel")
    resolve_notices(unanswered_action(session.pk))  # nothing left to answer
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
        elif problem := one_line_problem(str(item.get("title", ""))):
            errors.setdefault(f"items.{n}.title", []).append(problem)
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
        refusal = practice.rehearsal_refusal(session)
        if refusal:
            raise ValidationFailed.field("practice", refusal)
    session.practice = practice
    try:
        with transaction.atomic():  # a parallel link to the same practice: the constraint decides
            session.save(update_fields=["practice", "updated_at"])
    except IntegrityError:
        # Documented as 422 like the other refusals of this field (the API names it).
        raise ValidationFailed.field(
            "practice",
            f"“{practice.title if practice else ''}” was just linked to another session; "
            "choose another practice session.",
        ) from None
    audit.record(
        actor,
        action="session.practice_linked",
        obj=session,
        changes={"practice": practice.pk if practice else None},
    )
    return session
