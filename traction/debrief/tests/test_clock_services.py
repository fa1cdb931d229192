"""The debrief clock's rules: created and booked with the session, moved, held, cancelled with
it; the default slot; 24 real hours across daylight-saving changes; on time / late / missed
boundaries (the model's rule and the list's filter agree); opening the room; clock events
once; the catch-up; reminders once per stage; answers; the session's readiness."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from icalendar import Calendar

from traction.core import clock
from traction.core.errors import Conflict, PermissionDenied, ValidationFailed
from traction.core.testing.cast import Cast
from traction.debrief import selectors_clock as selectors
from traction.debrief.models import (
    DEBRIEF_MISSED_AFTER,
    Attendee,
    Debrief,
    DebriefStatus,
    Reminder,
)
from traction.debrief.services import clock as svc
from traction.debrief.services import clock_mail
from traction.programs.models import PolicyMaker
from traction.sessions import selectors as session_selectors
from traction.sessions import services as sessions
from traction.sessions.models import Session, SessionKind

Capture = Callable[..., Any]
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(T0) as c:
        yield c


@pytest.fixture
def policy_maker(cast: Cast) -> PolicyMaker:
    """Owen (an account owner) decides for the support budget in Onboarding."""
    return PolicyMaker.objects.create(
        program=cast.program, user=cast.users["account_owner"], responsibility="Support budget"
    )


def plan(
    cast: Cast,
    *,
    day: int = 10,
    start: tuple[int, int] = (9, 0),
    end: tuple[int, int] = (12, 30),
    kind: str = SessionKind.CO_DESIGN,
    tz: str = "Europe/Berlin",
    month: int = 3,
) -> Session:
    return sessions.plan_session(
        cast.viewers["facilitator"],
        program=cast.program,  # type: ignore[arg-type]
        title="Onboarding co-design",
        starts_at=datetime(2027, month, day, *start),
        ends_at=datetime(2027, month, day, *end),
        time_zone=tz,
        kind=kind,
        location="Acme Berlin",
    )


def kinds_of(debrief: Debrief) -> list[str]:
    return list(debrief.clock_events.values_list("kind", flat=True))


# --- created and booked with the session ------------------------------------------------------


def test_a_co_design_session_gets_a_debrief_due_24_hours_after_it_ends(
    cast: Cast, policy_maker: PolicyMaker
) -> None:
    session = plan(cast)
    debrief = Debrief.objects.get(session=session)
    assert debrief.due_at == session.ends_at + timedelta(hours=24)
    assert debrief.program_id == cast.program.pk  # type: ignore[union-attr]
    # Ends 12:30 Berlin: booked 13:30-16:30 that day, where the session was.
    assert debrief.starts_at == datetime(2027, 3, 10, 13, 30, tzinfo=BERLIN)
    assert debrief.ends_at - debrief.starts_at == timedelta(minutes=180)
    assert (debrief.location, clock_mail.place(debrief)) == ("", "Acme Berlin")
    invited = {a.user.email: a.is_policy_maker for a in selectors.attendees(debrief)}
    assert invited == {
        "cora@acme.test": False,  # core team
        "sam@acme.test": True,  # executive sponsor
        "owen@acme.test": True,  # a named policy maker
    }
    assert kinds_of(debrief) == ["due", "booked"]
    assert debrief.timeliness == "due"


def test_a_slot_ending_in_the_repeated_hour_keeps_its_length_in_the_ics(cast: Cast) -> None:
    # 31 October 2027, Berlin: 02:30 CEST (00:30 UTC) to 02:30 CET (01:30 UTC) is an hour;
    # the end, written as a local 02:30, would read as the first 02:30 (no time at all).
    debrief = Debrief.objects.get(session=plan(cast))
    debrief.starts_at = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    debrief.ends_at = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    ics = clock_mail.build_ics(debrief, method="REQUEST", attendees=[])
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert event.start.astimezone(UTC) == debrief.starts_at
    assert event.end.astimezone(UTC) == debrief.ends_at
    assert event.end.timestamp() - event.start.timestamp() == 3600


def test_an_interview_needs_no_debrief_unless_the_workspace_says_so(cast: Cast) -> None:
    assert Debrief.objects.filter(session=plan(cast, kind=SessionKind.INTERVIEW)).count() == 0
    svc.update_settings(
        cast.viewers["admin"], kinds=["interview", "co_design"], default_minutes=120
    )
    session = plan(cast, kind=SessionKind.INTERVIEW, day=11)
    debrief = Debrief.objects.get(session=session)
    assert debrief.ends_at - debrief.starts_at == timedelta(minutes=120)
    # The CAB meeting is no longer needing one: none for it.
    assert not Debrief.objects.filter(session=plan(cast, kind=SessionKind.CAB, day=12)).exists()


def test_settings_default_and_validation(cast: Cast) -> None:
    found = svc.settings_of(cast.acme.pk)
    assert found.pk is None
    assert (found.kinds, found.default_minutes) == (["co_design", "cab_meeting"], 180)
    with pytest.raises(ValidationFailed) as exc:
        svc.update_settings(cast.viewers["admin"], kinds=["party"], default_minutes=10)
    assert set(exc.value.errors) == {"kinds", "default_minutes"}
    with pytest.raises(PermissionDenied):
        svc.update_settings(cast.viewers["facilitator"], kinds=[], default_minutes=180)
    # Attacker's review: the refusal quoted every unknown kind sent (a 2 MB body, a 2 MB
    # answer); it names 10 and counts the rest.
    with pytest.raises(ValidationFailed) as exc:
        svc.update_settings(
            cast.viewers["admin"], kinds=[f"k{n}" for n in range(50_000)], default_minutes=180
        )
    [message] = exc.value.errors["kinds"]
    assert message.endswith(" and 49,990 more.")
    assert len(message) < 200


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ((10, 0), datetime(2027, 3, 10, 11, 0, tzinfo=BERLIN)),  # an hour later
        ((12, 50), datetime(2027, 3, 10, 14, 0, tzinfo=BERLIN)),  # 13:50 → on the quarter
        ((13, 10), datetime(2027, 3, 11, 9, 0, tzinfo=BERLIN)),  # would end after 17:00
        ((17, 0), datetime(2027, 3, 11, 9, 0, tzinfo=BERLIN)),  # the next morning
        ((23, 30), datetime(2027, 3, 11, 9, 0, tzinfo=BERLIN)),  # 00:30 the next day → 09:00
    ],
)
def test_the_default_slot(cast: Cast, end: tuple[int, int], expected: datetime) -> None:
    session = plan(cast, start=(end[0] - 1, 0), end=end)
    debrief = Debrief.objects.get(session=session)
    assert debrief.starts_at == expected
    assert debrief.starts_at < debrief.due_at  # always before the deadline


def test_the_default_slot_before_dawn_is_that_morning(cast: Cast) -> None:
    session = plan(cast, start=(3, 0), end=(5, 0))
    assert Debrief.objects.get(session=session).starts_at == datetime(
        2027, 3, 10, 9, 0, tzinfo=BERLIN
    )


@pytest.mark.parametrize(
    ("month", "day"),
    [(3, 28), (10, 31)],  # clocks go forward, then back, in Berlin (2027)
)
def test_due_is_24_real_hours_after_the_end_across_a_clock_change(
    cast: Cast, month: int, day: int
) -> None:
    session = plan(cast, month=month, day=day, start=(0, 30), end=(1, 45))
    debrief = Debrief.objects.get(session=session)
    assert debrief.due_at - session.ends_at == timedelta(hours=24)
    assert (debrief.due_at.timestamp() - session.ends_at.timestamp()) == 24 * 3600
    local_due = debrief.due_at.astimezone(BERLIN)
    # The wall clock shows 24 h ± the hour the clocks moved.
    assert local_due.hour == (2 if month == 3 else 0)
    # The slot is 09:00 local on the day (offset of that day applied).
    assert debrief.starts_at.astimezone(BERLIN).time().hour == 9


def test_rescheduling_moves_the_deadline_and_the_slot_and_raises_the_sequence(
    cast: Cast, policy_maker: PolicyMaker
) -> None:
    session = plan(cast)
    debrief = Debrief.objects.get(session=session)
    slot = debrief.starts_at
    sessions.update_session(
        cast.viewers["facilitator"],
        session=session,
        changes={
            "starts_at": datetime(2027, 3, 12, 9, 0),
            "ends_at": datetime(2027, 3, 12, 12, 30),
        },
    )
    moved = Debrief.objects.get(pk=debrief.pk)
    assert moved.due_at == datetime(2027, 3, 13, 12, 30, tzinfo=BERLIN)
    assert moved.starts_at == slot + timedelta(days=2)
    assert moved.calendar_sequence == debrief.calendar_sequence + 1
    assert kinds_of(moved) == ["due", "booked", "due", "booked"]
    # The same end again changes nothing.
    sessions.update_session(
        cast.viewers["facilitator"], session=session, changes={"title": "Renamed"}
    )
    assert Debrief.objects.get(pk=debrief.pk).calendar_sequence == moved.calendar_sequence


def test_held_runs_the_clock_from_the_actual_end(cast: Cast, frozen: clock.FrozenClock) -> None:
    session = plan(cast)
    frozen.at = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    sessions.mark_session_held(
        cast.viewers["facilitator"], session=session, actual_end=datetime(2027, 3, 10, 13, 15)
    )
    debrief = Debrief.objects.get(session=session)
    assert debrief.due_at == datetime(2027, 3, 11, 13, 15, tzinfo=BERLIN)
    assert kinds_of(debrief) == ["due", "booked", "due"]
    assert "Held" in debrief.clock_events.last().note  # type: ignore[union-attr]


def test_cancelling_the_session_cancels_its_debrief(cast: Cast) -> None:
    session = plan(cast)
    sessions.cancel_session(cast.viewers["facilitator"], session=session, reason="Storm")
    debrief = Debrief.objects.get(session=session)
    assert debrief.status == DebriefStatus.CANCELLED
    assert debrief.timeliness == "cancelled"
    assert debrief.calendar_sequence == 1
    assert kinds_of(debrief) == ["due", "booked", "cancelled"]


# --- on time, late, missed ------------------------------------------------------------------


DUE = datetime(2027, 3, 11, 11, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("opened", "expected"),
    [
        (DUE - timedelta(hours=3), "on_time"),
        (DUE, "on_time"),  # exactly at due
        (DUE + SECOND, "late"),
        (DUE + DEBRIEF_MISSED_AFTER, "late"),  # at due + 7 days
        (DUE + DEBRIEF_MISSED_AFTER + SECOND, "missed"),  # held, but a week too late
    ],
)
def test_timeliness_of_a_held_debrief(cast: Cast, opened: datetime, expected: str) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    assert debrief.due_at == DUE
    Debrief.objects.filter(pk=debrief.pk).update(opened_at=opened, status=DebriefStatus.OPEN)
    debrief.refresh_from_db()
    with clock.frozen(DUE + timedelta(days=30)):
        assert debrief.timeliness == expected
        assert_filter_agrees(debrief)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (DUE - SECOND, "due"),
        (DUE, "due"),  # exactly at due: not late yet
        (DUE + SECOND, "late"),
        (DUE + DEBRIEF_MISSED_AFTER, "late"),
        (DUE + DEBRIEF_MISSED_AFTER + SECOND, "missed"),
    ],
)
def test_timeliness_while_waiting(cast: Cast, now: datetime, expected: str) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    with clock.frozen(now):
        assert debrief.timeliness == expected
        assert_filter_agrees(debrief)


def assert_filter_agrees(debrief: Debrief) -> None:
    """The list's filter (in SQL) says what the model's rule says, for every kind."""
    for kind in selectors.TIMELINESS:
        found = Debrief.objects.filter(selectors.timeliness_q(kind), pk=debrief.pk).exists()
        assert found == (kind == debrief.timeliness), kind


def test_opening_the_room_is_held_once(cast: Cast, frozen: clock.FrozenClock) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    frozen.at = DUE + timedelta(hours=2)
    with pytest.raises(PermissionDenied):
        svc.open_debrief(cast.viewers["core_team"], debrief=debrief)
    opened = svc.open_debrief(cast.viewers["facilitator"], debrief=debrief)
    assert opened.opened_at == DUE + timedelta(hours=2)
    assert opened.status == DebriefStatus.OPEN
    assert opened.timeliness == "late"
    frozen.advance(hours=1)
    again = svc.open_debrief(cast.viewers["admin"], debrief=debrief)
    assert again.opened_at == DUE + timedelta(hours=2)
    assert kinds_of(debrief).count("held") == 1
    assert debrief.clock_events.get(kind="held").note == "late"


def test_clock_events_are_recorded_once(cast: Cast) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    assert svc.record_clock_event(debrief, "due") is None  # already, for this deadline
    assert svc.record_clock_event(debrief, "closed", "Closed by the pack") is not None
    assert svc.record_clock_event(debrief, "closed") is None
    assert svc.record_clock_event(debrief, "booked") is not None  # each time it happens
    with pytest.raises(ValueError, match="Unknown clock event"):
        svc.record_clock_event(debrief, "exploded")


# --- catch-up and reminders -----------------------------------------------------------------


def old_session(cast: Cast, *, ended: datetime, kind: str = SessionKind.CO_DESIGN) -> Session:
    """A session planned before debriefs existed (no event: rows made directly)."""
    return Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="The demo's held session",
        kind=kind,
        starts_at=ended - timedelta(hours=3),
        ends_at=ended,
        time_zone="Europe/Berlin",
        created_by=cast.users["facilitator"],
    )


def test_a_kind_added_later_applies_to_its_sessions_ending_after_it_was_added(
    cast: Cast, frozen: clock.FrozenClock, django_capture_on_commit_callbacks: Capture
) -> None:
    """Review 20 finding 8: adding "interview" makes no missed debrief (nor email) for the
    interviews already over; those ending after the change get theirs. Taking the kind out
    and adding it again starts from the new addition."""
    past = old_session(cast, ended=T0 - timedelta(days=10), kind=SessionKind.INTERVIEW)
    svc.update_settings(
        cast.viewers["admin"], kinds=["co_design", "cab_meeting", "interview"], default_minutes=90
    )
    assert set(svc.settings_of(cast.acme.pk).kinds_added_at) == {"interview"}
    coming = old_session(cast, ended=T0 + timedelta(days=3), kind=SessionKind.INTERVIEW)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counts = svc.clock_job()
    assert counts == {"created": 1, "reminded": 0, "late": 0, "missed": 0}
    assert not Debrief.objects.filter(session=past).exists()
    assert Debrief.objects.filter(session=coming).exists()
    assert not [m for m in mail.outbox if m.subject.startswith("Debrief missed")]
    # Out and in again, a week later: the interview that ended in between is not caught up.
    svc.update_settings(cast.viewers["admin"], kinds=["co_design"], default_minutes=90)
    between = old_session(cast, ended=T0 + timedelta(days=5), kind=SessionKind.INTERVIEW)
    frozen.at = T0 + timedelta(days=7)
    svc.update_settings(cast.viewers["admin"], kinds=["co_design", "interview"], default_minutes=90)
    assert svc.catch_up() == 0
    assert not Debrief.objects.filter(session=between).exists()


def test_catch_up_books_what_was_missing_and_says_it_was_missed(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    three_weeks_ago = old_session(cast, ended=T0 - timedelta(days=21))
    upcoming = old_session(cast, ended=T0 + timedelta(days=3))
    old_session(cast, ended=T0 - timedelta(days=2), kind=SessionKind.INTERVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        first = svc.clock_job()
    assert first == {"created": 2, "reminded": 1, "late": 0, "missed": 1}
    old = Debrief.objects.get(session=three_weeks_ago)
    assert old.timeliness == "missed"
    assert kinds_of(old) == ["due", "missed", "reminded"]  # no invitation to a past slot
    note = old.clock_events.first().note  # type: ignore[union-attr]
    # The deadline in the session's zone, named (as every page shows a debrief's times).
    due = old.due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert "Recorded late" in note
    assert f"{due:%Y-%m-%d %H:%M} (Europe/Berlin)" in note
    assert kinds_of(Debrief.objects.get(session=upcoming)) == ["due", "booked"]
    reminder = [m for m in mail.outbox if m.subject.startswith("Debrief missed")]
    assert len(reminder) == 1
    assert set(reminder[0].to) == {"cora@acme.test", "fran@acme.test"}
    invites = [m for m in mail.outbox if m.subject.startswith("Debrief invitation")]
    assert len(invites) == 2  # the upcoming one: cora and sam
    # Again: nothing new, nothing sent twice.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.clock_job() == {"created": 0, "reminded": 0, "late": 0, "missed": 0}
    assert mail.outbox == []
    # The program says so.
    section = selectors.program_debriefs(cast.viewers["sponsor"], cast.program)
    assert section["missed"] == 1


def test_reminders_go_once_per_stage(
    cast: Cast, frozen: clock.FrozenClock, django_capture_on_commit_callbacks: Capture
) -> None:
    debrief = Debrief.objects.get(session=plan(cast))  # ends 11:30 UTC on the 10th
    mail.outbox.clear()

    def run() -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return svc.remind()

    assert run()["reminded"] == 0  # not ended yet
    frozen.at = datetime(2027, 3, 10, 11, 45, tzinfo=UTC)
    assert run() == {"reminded": 1, "late": 0, "missed": 0}
    assert run()["reminded"] == 0
    frozen.at = DUE - timedelta(hours=4)
    assert run()["reminded"] == 1
    frozen.at = DUE + SECOND
    assert run() == {"reminded": 1, "late": 1, "missed": 0}
    frozen.advance(days=3)
    assert run() == {"reminded": 0, "late": 0, "missed": 0}
    frozen.at = DUE + DEBRIEF_MISSED_AFTER + SECOND
    assert run() == {"reminded": 1, "late": 0, "missed": 1}
    assert run() == {"reminded": 0, "late": 0, "missed": 0}
    subjects = [m.subject.split(":")[0] for m in mail.outbox]
    assert subjects == [
        "Debrief due within 24 hours",
        "Debrief due in 4 hours",
        "Debrief late",
        "Debrief missed",
    ]
    assert kinds_of(debrief) == [
        "due", "booked", "reminded", "reminded", "late", "reminded", "missed", "reminded",
    ]  # fmt: skip
    assert Reminder.objects.filter(subject_id=debrief.pk).count() == 4
    assert "/debriefs/" in mail.outbox[0].body


def test_an_open_debrief_is_not_reminded(cast: Cast, frozen: clock.FrozenClock) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    frozen.at = datetime(2027, 3, 10, 13, 30, tzinfo=UTC)
    svc.open_debrief(cast.viewers["facilitator"], debrief=debrief)
    frozen.at = DUE + timedelta(days=10)
    assert svc.remind() == {"reminded": 0, "late": 0, "missed": 0}
    assert Debrief.objects.get(pk=debrief.pk).timeliness == "on_time"


# --- answers and readiness --------------------------------------------------------------------


def test_an_invited_member_answers_and_readiness_shows_it(
    cast: Cast, policy_maker: PolicyMaker
) -> None:
    session = plan(cast)
    debrief = Debrief.objects.get(session=session)

    def check() -> Any:
        found = session_selectors.readiness(Session.objects.get(pk=session.pk))
        return next(c for c in found.checks if c.key == "debrief")

    assert not check().done
    assert check().detail == "Booked; no policy maker has accepted yet"
    svc.respond(cast.viewers["core_team"], debrief=debrief, answer="accepted")
    assert not check().done  # cora is not a policy maker
    owen = cast.viewers["account_owner"]
    svc.respond(owen, debrief=debrief, answer="accepted")
    assert check().done
    assert Attendee.objects.get(debrief=debrief, user=cast.users["account_owner"]).response == (
        "accepted"
    )
    with pytest.raises(ValidationFailed):
        svc.respond(owen, debrief=debrief, answer="maybe later")
    with pytest.raises(PermissionDenied) as denied:  # not invited (observers may be)
        svc.respond(cast.viewers["observer"], debrief=debrief, answer="accepted")
    assert str(denied.value) == "You are not invited to this debrief: only those invited answer it."
    Debrief.objects.filter(pk=debrief.pk).update(status=DebriefStatus.CLOSED)
    with pytest.raises(ValidationFailed) as exc:  # closed: too late to decline
        svc.respond(owen, debrief=debrief, answer="declined")
    assert exc.value.errors["answer"] == [
        "This debrief is closed: its invitation can no longer be answered."
    ]


def test_readiness_has_no_debrief_check_for_an_interview(cast: Cast) -> None:
    session = plan(cast, kind=SessionKind.INTERVIEW)
    keys = [c.key for c in session_selectors.readiness(session).checks]
    assert "debrief" not in keys


# --- the booking ------------------------------------------------------------------------------


def test_moving_the_slot_reads_the_sessions_zone_and_refuses_a_stale_version(
    cast: Cast,
) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    fran = cast.viewers["facilitator"]
    moved = svc.update_booking(
        fran,
        debrief=debrief,
        starts_at=datetime(2027, 3, 11, 9, 0),
        minutes=150,
        location="Room Havel",
        video_link="https://meet.example.test/debrief",
        version=debrief.version,
    )
    assert moved.starts_at == datetime(2027, 3, 11, 9, 0, tzinfo=BERLIN)
    assert moved.ends_at - moved.starts_at == timedelta(minutes=150)
    assert moved.calendar_sequence == 1
    assert kinds_of(moved)[-1] == "booked"
    with pytest.raises(Conflict):
        svc.update_booking(
            fran,
            debrief=debrief,
            starts_at=datetime(2027, 3, 11, 10, 0),
            minutes=150,
            version=debrief.version,
        )
    with pytest.raises(ValidationFailed) as exc:
        svc.update_booking(fran, debrief=moved, starts_at=datetime(2027, 3, 1, 9, 0), minutes=10)
    assert set(exc.value.errors) == {"minutes"}
    with pytest.raises(PermissionDenied):
        svc.update_booking(
            cast.viewers["core_team"], debrief=moved, starts_at=datetime(2027, 3, 11, 9), minutes=60
        )


def test_readiness_reads_the_workspace_kinds_from_a_list_too(cast: Cast) -> None:
    """A session of a needing kind without its debrief yet (the next check books it) says so,
    whether read alone or from a list (the kinds come as an annotation there)."""
    svc.update_settings(cast.viewers["admin"], kinds=["interview"], default_minutes=180)
    waiting = Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="An interview planned before",
        kind=SessionKind.INTERVIEW,
        starts_at=T0 + timedelta(days=3),
        ends_at=T0 + timedelta(days=3, hours=1),
    )
    alone = session_selectors.readiness(waiting)
    listed = session_selectors.readiness(
        session_selectors.with_readiness_facts(Session.objects.filter(pk=waiting.pk)).get()
    )
    for found in (alone, listed):
        check = next(c for c in found.checks if c.key == "debrief")
        assert (check.done, check.detail.startswith("Not booked yet")) == (False, True)
    co_design = plan(cast)  # no longer needing one: no debrief, no check
    assert not Debrief.objects.filter(session=co_design).exists()
    listed_codesign = session_selectors.with_readiness_facts(
        Session.objects.filter(pk=co_design.pk)
    ).get()
    assert "debrief" not in [c.key for c in session_selectors.readiness(listed_codesign).checks]


def test_a_session_recorded_afterwards_starts_its_debrief_clock_when_recorded(
    cast: Cast, policy_maker: PolicyMaker, frozen: clock.FrozenClock
) -> None:
    """Review 19, 14.6: a session planned only once it was over (26 February, recorded on
    1 March) is not late the moment its debrief exists: due 24 hours after it was recorded,
    booked from then; a session planned ahead keeps its deadline from its end."""
    session = plan(cast, day=26, month=2)
    debrief = Debrief.objects.get(session=session)
    assert svc.recorded_afterwards(session)
    assert debrief.clock_from_recording
    assert debrief.due_at == T0 + timedelta(hours=24)
    assert debrief.timeliness == "due"
    assert debrief.starts_at == datetime(2027, 3, 1, 10, 0, tzinfo=BERLIN)  # 08:00 UTC + 1 h
    assert kinds_of(debrief) == ["due", "booked"]
    (due,) = debrief.clock_events.filter(kind="due")
    assert due.note == "Recorded after the session ended: due 24 hours after it was recorded."
    # Marking it held (it ended as planned) keeps the clock from the recording.
    sessions.mark_session_held(cast.viewers["facilitator"], session=session)
    debrief.refresh_from_db()
    assert debrief.due_at == T0 + timedelta(hours=24)
    # After the deadline it is late, as any debrief.
    frozen.advance(timedelta(hours=25))
    debrief.refresh_from_db()
    assert debrief.timeliness == "late"
    # A session planned ahead: 24 hours after its end, as always.
    ahead = Debrief.objects.get(session=plan(cast, day=10))
    assert not svc.recorded_afterwards(ahead.session)
    assert not ahead.clock_from_recording
    assert ahead.due_at == ahead.session.ends_at + timedelta(hours=24)
