"""The debrief's calendar emails through a real SMTP server on loopback, the .ics parsed back
with icalendar: the invitation when the session is planned (one UID, SEQUENCE 0, the
session's time zone), an update with the same UID and a higher SEQUENCE when the slot
moves, a cancellation when the session is cancelled; and a reminder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Event

from tests.email.conftest import Received, SmtpServer, smtp_server  # noqa: F401 - a fixture
from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import Attendee, Debrief
from traction.debrief.services import clock as svc
from traction.programs.models import PolicyMaker
from traction.sessions import services as sessions
from traction.sessions.models import Session

Capture = Callable[..., Any]
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(T0) as c:
        yield c


def event_of(received: Received) -> Event:
    events = [c for c in received.calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    return events[0]


def plan(cast: Cast) -> Session:
    return sessions.plan_session(
        cast.viewers["facilitator"],
        program=cast.program,  # type: ignore[arg-type]
        title="Onboarding co-design",
        starts_at=datetime(2027, 3, 10, 9, 0),
        ends_at=datetime(2027, 3, 10, 12, 30),
        time_zone="Europe/Berlin",
        location="Acme Berlin",
    )


def test_invitation_update_and_cancellation_with_one_uid(
    cast: Cast,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    django_capture_on_commit_callbacks: Capture,
) -> None:
    PolicyMaker.objects.create(program=cast.program, user=cast.users["account_owner"])
    with django_capture_on_commit_callbacks(execute=True):
        session = plan(cast)
    debrief = Debrief.objects.get(session=session)
    invites = smtp_server.messages
    assert sorted(r.rcpt_tos[0] for r in invites) == [
        "cora@acme.test",
        "owen@acme.test",
        "sam@acme.test",
    ]
    owen = smtp_server.to("owen@acme.test")[0]
    assert owen.subject.startswith("Debrief invitation: Onboarding co-design")
    assert "as one of the people who decide" in owen.body
    assert f"/w/acme/debriefs/{debrief.pk}/respond/" in owen.body
    assert owen.calendar["METHOD"] == "REQUEST"
    event = event_of(owen)
    uid = str(event["UID"])
    assert uid == f"{debrief.calendar_uid}@traction"
    assert int(event["SEQUENCE"]) == 0
    start = event.decoded("DTSTART")
    assert start == datetime(2027, 3, 10, 13, 30, tzinfo=BERLIN)
    assert str(start.tzinfo) == "Europe/Berlin"
    assert event.decoded("DTEND") - start == timedelta(hours=3)
    assert str(event["ATTENDEE"]) == "mailto:owen@acme.test"  # only the recipient
    assert Attendee.objects.filter(debrief=debrief, calendar_sequence_sent=0).count() == 3

    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        svc.update_booking(
            cast.viewers["facilitator"],
            debrief=debrief,
            starts_at=datetime(2027, 3, 11, 9, 0),
            minutes=180,
            location="Room Havel",
        )
    assert len(smtp_server.messages) == 3
    update = smtp_server.to("sam@acme.test")[0]
    assert update.subject.startswith("Debrief moved")
    assert str(event_of(update)["UID"]) == uid
    assert int(event_of(update)["SEQUENCE"]) == 1
    assert event_of(update).decoded("DTSTART") == datetime(2027, 3, 11, 9, 0, tzinfo=BERLIN)
    assert str(event_of(update)["LOCATION"]) == "Room Havel"

    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sessions.cancel_session(cast.viewers["facilitator"], session=session, reason="Storm")
    assert len(smtp_server.messages) == 3
    cancel = smtp_server.to("cora@acme.test")[0]
    assert cancel.calendar["METHOD"] == "CANCEL"
    assert str(event_of(cancel)["UID"]) == uid
    assert int(event_of(cancel)["SEQUENCE"]) == 2
    assert str(event_of(cancel)["STATUS"]) == "CANCELLED"


def test_a_reminder_reaches_the_facilitator_and_the_core_team(
    cast: Cast,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        debrief = Debrief.objects.get(session=plan(cast))
    smtp_server.clear()
    frozen.at = debrief.due_at + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        svc.remind()
    [late] = smtp_server.messages
    assert sorted(late.rcpt_tos) == ["cora@acme.test", "fran@acme.test"]
    assert late.subject == "Debrief late: Onboarding co-design"
    assert "is late: it was due by Thursday 11 March 2027, 12:30 (Europe/Berlin)" in late.body


def test_closing_before_the_booked_slot_takes_it_out_of_the_calendars(
    cast: Cast,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
    client: Any,
) -> None:
    """Review 20 finding 5: held early and closed, the debrief's booked slot (13:30–16:30)
    leaves every invitee's calendar (METHOD CANCEL, a higher SEQUENCE, saying when it was
    held); its calendar file no longer invites anyone to respond."""
    from traction.debrief.services import closing

    with django_capture_on_commit_callbacks(execute=True):
        debrief = Debrief.objects.get(session=plan(cast))
    uid = f"{debrief.calendar_uid}@traction"
    frozen.at = datetime(2027, 3, 10, 11, 40, tzinfo=UTC)  # 12:40 Berlin: session over
    fran = cast.viewers["facilitator"]
    svc.open_debrief(fran, debrief=debrief)
    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        closing.close_debrief(
            fran,
            debrief=Debrief.objects.get(pk=debrief.pk),
            attendance={cast.users["facilitator"].pk: True},
            note="Held right after the session.",
            undecided=[],
            empty_reason="Nothing to decide.",
        )
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "cora@acme.test",
        "sam@acme.test",
    ]
    cora = smtp_server.to("cora@acme.test")[0]
    assert cora.subject.startswith("Debrief held: Onboarding co-design")
    assert "was held and closed on Wednesday 10 March 2027, 12:40 (Europe/Berlin)" in cora.body
    assert "respond" not in cora.body
    assert cora.calendar["METHOD"] == "CANCEL"
    event = event_of(cora)
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert "held and closed on Wed 10 Mar 2027, 12:40" in str(event["DESCRIPTION"])
    # The calendar file of a closed debrief invites nobody to respond.
    client.force_login(cast.users["core_team"])
    ics = client.get(f"/w/acme/debriefs/{debrief.pk}/calendar.ics").content.decode()
    assert "METHOD:CANCEL" in ics
    assert "/respond/" not in ics


def test_closing_after_the_slot_sends_no_calendar_email(
    cast: Cast,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from traction.debrief.services import closing

    with django_capture_on_commit_callbacks(execute=True):
        debrief = Debrief.objects.get(session=plan(cast))
    frozen.at = datetime(2027, 3, 10, 16, 0, tzinfo=UTC)  # 17:00 Berlin: the slot is over
    fran = cast.viewers["facilitator"]
    svc.open_debrief(fran, debrief=debrief)
    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        closing.close_debrief(
            fran,
            debrief=Debrief.objects.get(pk=debrief.pk),
            attendance={cast.users["facilitator"].pk: True},
            note="Held as booked.",
            undecided=[],
            empty_reason="Nothing to decide.",
        )
    assert smtp_server.messages == []
    assert Debrief.objects.get(pk=debrief.pk).calendar_sequence == 0
